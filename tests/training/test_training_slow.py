"""Slow: real SmolLM2 training + eval through the CLI, SIGKILL resume, and 2-process DDP on CPU."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from .test_training_mle import toy_rows, write_rows

pytestmark = pytest.mark.slow


def md(*args: str, timeout: int = 900) -> subprocess.CompletedProcess:
    r = subprocess.run([sys.executable, "-m", "mathdistill", *args], check=False, capture_output=True, text=True,
                       timeout=timeout)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    return r


@pytest.fixture
def problems(tmp_path) -> str:
    rows = [{"id": f"p{i}", "question": f"Tom has {i + 2} apples and buys {i + 1} more. How many apples now?",
             "answer": str(2 * i + 3)} for i in range(2)]
    return write_rows(tmp_path / "problems.jsonl", rows)


@pytest.mark.parametrize("method", ["sft", "neg"])
def test_smollm2_train_then_eval(smollm2_path, tmp_path, problems, method):
    data = write_rows(tmp_path / "data.jsonl", toy_rows(4))
    out = tmp_path / method
    md("train", "--method", method, "--data", data, "--model", "smollm2", "--max-steps", "2",
       "--per-device-train-batch-size", "2", "--out", str(out), "--no-progress")
    manifest = json.loads((out / "mathdistill_train.json").read_text())
    assert manifest["status"] == "complete" and manifest["metrics"]["global_step"] == 2
    assert manifest["adapter"] is (method == "neg")  # neg is LoRA r=8 by default, sft full fine-tuning
    md("eval", "--model", str(out), "--backend", "hf", "--data", problems, "--n", "1", "--max-new-tokens", "24",
       "--out", str(tmp_path / f"eval_{method}"), "--no-progress")
    res = json.loads((tmp_path / f"eval_{method}" / "results.json").read_text())
    assert res["metrics"]["problems"]["n_problems"] == 2
    assert res["run_metadata"]["prompt"]["problems"]["rendering"] == "plain"  # trained on plain prompts: eval uses them
    samples = [json.loads(x) for x in (tmp_path / f"eval_{method}" / "samples.jsonl").read_text().splitlines()]
    assert any(s["response"].strip() for s in samples)


def test_sigkill_during_training_resumes(tiny_lm, tmp_path):
    data = write_rows(tmp_path / "data.jsonl", toy_rows(8))
    out = tmp_path / "run"
    args = [sys.executable, "-m", "mathdistill", "train", "--method", "sft", "--data", data, "--model", tiny_lm,
            "--out", str(out), "--max-steps", "400", "--save-steps", "20", "--per-device-train-batch-size", "2",
            "--no-progress"]
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.time() + 300
    while time.time() < deadline and not (out / "checkpoint-20" / "trainer_state.json").exists():
        time.sleep(0.05)
    time.sleep(0.3)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert not (out / "mathdistill_train.json").exists(), "training finished before the kill: raise max_steps"
    r = subprocess.run(args, check=False, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-3000:]
    m = json.loads((out / "mathdistill_train.json").read_text())
    step = int(Path(m["resumed_from"]).name.split("-")[1])
    assert step >= 20 and m["metrics"]["global_step"] == 400
    assert "resuming from" in r.stderr


def test_two_process_ddp_on_cpu(tiny_lm, tmp_path):
    """The accelerate/torchrun path: 2 gloo processes, one model written by rank 0."""
    data = write_rows(tmp_path / "data.jsonl", toy_rows(8))
    out = tmp_path / "ddp"
    r = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", "-m", "mathdistill",
                        "train", "--method", "sft", "--data", data, "--model", tiny_lm, "--out", str(out),
                        "--max-steps", "3", "--per-device-train-batch-size", "2", "--no-progress"],
                       check=False, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-3000:]
    m = json.loads((out / "mathdistill_train.json").read_text())
    assert m["world_size"] == 2 and m["metrics"]["global_step"] == 3
