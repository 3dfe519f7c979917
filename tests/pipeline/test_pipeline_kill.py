"""`mathdistill run` on a real (tiny) model, killed with SIGKILL during sampling and during training,
resumed, and compared with an uninterrupted run.

Deterministic because: arith data is seeded; sampling uses hf with one request per batch
(batch seeds = request seeds, so a resumed run asks for the same samples); training resumes
from its last checkpoint with the Trainer's RNG state; eval is greedy (n=1, T=0). Reference
solutions are added as positives (include_reference) because a random 2-layer model answers
nothing correctly, so there is always something to train on.
"""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

pytestmark = pytest.mark.slow


def _config(tiny_lm: str) -> dict:
    return {
        "teacher": tiny_lm, "student": tiny_lm, "backend": "hf", "template": "gsm8k",
        "data": {"train": "arith:steps=1", "train_limit": 6, "test": ["arith:steps=1"], "test_limit": 6},
        "sample": {"strategy": "vanilla", "k": 2, "max_new_tokens": 24, "batch_requests": 1, "grading_workers": 1,
                   "hf": {"batch_size": 1}, "seed": 0},
        "curate": {"include_reference": True, "formats": ["sft", "messages"], "plots": False},
        "train": [{"method": "sft"}],
        "train_defaults": {"max_steps": 6, "save_steps": 1, "save_total_limit": 2, "learning_rate": 1e-3,
                           "per_device_train_batch_size": 2, "max_length": 256, "warmup_ratio": 0.0, "seed": 0},
        "eval": {"greedy": False, "n": 1, "temperature": 0.0, "max_new_tokens": 24, "batch_size": 2,
                 "grade_workers": 1, "seed": 0},
        "summary_metric": "mean@n", "n_boot": 200, "progress": False,
    }


def _cmd(cfg: Path, out: Path) -> list[str]:
    return [sys.executable, "-m", "mathdistill", "run", str(cfg), "--out", str(out)]


def _kill_when(cfg: Path, out: Path, ready, timeout: float = 300) -> bool:
    """Start the run, SIGKILL it as soon as ready() holds; True if it was still running then."""
    p = subprocess.Popen(_cmd(cfg, out), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                         start_new_session=True)
    t0 = time.time()
    try:
        while p.poll() is None and time.time() - t0 < timeout:
            if ready():
                os.killpg(p.pid, signal.SIGKILL)  # the run and its grading/engine children, like kill -9
                p.wait()
                return True
            time.sleep(0.02)
        return False
    finally:
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()


def _lines(path: Path) -> int:
    return len(path.read_text().splitlines()) if path.exists() else 0


def _metrics(run: Path, stage: str) -> dict:
    return json.loads((run / stage / "results.json").read_text())["metrics"]


def test_run_killed_in_sampling_and_training_resumes_to_the_same_results(tmp_path, tiny_lm):
    cfg = tmp_path / "run.yaml"
    cfg.write_text(yaml.safe_dump(_config(tiny_lm)))
    ref, run = tmp_path / "ref", tmp_path / "killed"
    r = subprocess.run(_cmd(cfg, ref), capture_output=True, text=True, timeout=900, check=False)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]

    killed_sampling = _kill_when(cfg, run, lambda: _lines(run / "sample" / "samples.jsonl") >= 2)
    killed_training = _kill_when(cfg, run, lambda: any((run / "train_sft").glob("checkpoint-*")))
    r = subprocess.run(_cmd(cfg, run), capture_output=True, text=True, timeout=900, check=False)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    assert killed_sampling and killed_training, "the kills should land while the run is busy"

    samples = [json.loads(x) for x in (run / "sample" / "samples.jsonl").read_text().splitlines()]
    assert len(samples) == 12 and len({(s["problem_id"], s["sample_idx"]) for s in samples}) == 12
    ref_samples = sorted(json.loads(x)["response"] for x in (ref / "sample" / "samples.jsonl").read_text().splitlines())
    assert sorted(s["response"] for s in samples) == ref_samples
    for stage in ("eval_base", "eval_sft"):
        assert _metrics(run, stage) == _metrics(ref, stage), stage
    assert json.loads((run / "summary.json").read_text())["comparisons"][0]["diff"] == \
        json.loads((ref / "summary.json").read_text())["comparisons"][0]["diff"]
    assert (run / "report.html").exists()


def test_iterative_rft_two_rounds_on_a_real_model(tmp_path, tiny_lm):
    # Round 2 samples the checkpoint trained in round 1 (a real HF folder with its recorded prompt
    # format), curates the union of both rounds and trains again; the summary has one row per round.
    cfg = _config(tiny_lm)
    cfg.update(rounds=2)
    cfg["train_defaults"].update(max_steps=2, save_steps=10)
    path = tmp_path / "rounds.yaml"
    path.write_text(yaml.safe_dump(cfg))
    run = tmp_path / "run"
    r = subprocess.run(_cmd(path, run), capture_output=True, text=True, timeout=900, check=False)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    s2 = json.loads((run / "sample_r2" / "run.json").read_text())
    assert s2["config"]["model"] == str(run / "train_sft_r1")
    assert json.loads((run / "train_sft_r1" / "mathdistill_train.json").read_text())["status"] == "complete"
    n = {r: _lines(run / f"sample_r{r}" / "samples.jsonl") for r in (1, 2)}
    assert n == {1: 12, 2: 12}
    assert _lines(run / "curate_r2" / "input" / "samples.jsonl") == 24
    summary = json.loads((run / "summary.json").read_text())
    assert [(m["label"], m["round"]) for m in summary["models"]] == [("base", 0), ("sft_r1", 1), ("sft_r2", 2)]
    assert len(summary["comparisons"]) >= 2 and all("ci" in c for c in summary["comparisons"])
    assert "sft_r2" in (run / "report.html").read_text()
