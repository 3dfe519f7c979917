"""One writer per samples folder (two real `mathdistill sample` processes), and the resume guard
when run.json is lost (issue 23)."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from mathdistill.errors import ConfigError
from mathdistill.io.jsonl import read_jsonl
from mathdistill.records import Problem
from mathdistill.sampling.backends.fake import FakeBackend
from mathdistill.sampling.config import SampleConfig
from mathdistill.sampling.runner import run_sampling

PROBS = [Problem("a", "Alpha: what is 1+2?", "3"), Problem("b", "Beta: what is 2+2?", "4")]
SCRIPT = {"Alpha": ["So \\boxed{3}"], "Beta": ["So \\boxed{5}"]}


def cfg(tmp_path: Path, **kw) -> SampleConfig:
    base = {"out": str(tmp_path / "run"), "backend": "fake", "model": "fake", "template": "boxed_cot",
            "progress": False, "grading_workers": 1, "strategy": "vanilla", "k": 2}
    return SampleConfig(**{**base, **kw})


def sample_cmd(out: Path) -> list[str]:
    opts = json.dumps({"delay_s": 0.2, "by_seed": True, "script": {"Janet": ["\\boxed{18}"]}})
    return [sys.executable, "-m", "mathdistill", "sample", "--data", "gsm8k", "--split", "test", "--limit", "12",
            "--model", "fake", "--backend", "fake", "--strategy", "vanilla", "--k", "2", "--batch-requests", "1",
            "--template", "boxed_cot", "--grading-workers", "1", "--no-progress", "--out", str(out),
            "--set", f"backend_options={opts}"]


def test_a_second_writer_on_one_folder_fails_fast_naming_the_holder(tmp_path, data_dir):
    out = tmp_path / "run"
    first = subprocess.Popen(sample_cmd(out), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        t0 = time.monotonic()
        while not (out / "samples.jsonl").exists():
            assert first.poll() is None, first.stderr.read()[-2000:]
            assert time.monotonic() - t0 < 120, "the first run wrote nothing"
            time.sleep(0.05)
        second = subprocess.run(sample_cmd(out), capture_output=True, text=True, timeout=120, check=False)
        assert first.poll() is None, "the first run must still be writing when the second is refused"
    finally:
        first_rc = first.wait(timeout=300)
    assert first_rc == 0, first.stderr.read()[-2000:]
    assert second.returncode != 0
    err = second.stderr.strip().splitlines()
    assert len(err) == 1 and "Traceback" not in second.stderr, second.stderr
    assert f"is being written by pid {first.pid}" in err[0] and "sample" in err[0] and "since" in err[0]
    keys = [(r["problem_id"], r["sample_idx"]) for _, r in read_jsonl(out / "samples.jsonl")]
    assert len(keys) == len(set(keys)) == 24
    assert not (out / ".mathdistill.lock").exists()  # released by the run that held it


def test_resume_without_run_json_checks_the_samples_settings(tmp_path):
    """With run.json lost, a rerun at another temperature used to be appended to the same file."""
    c = cfg(tmp_path, k=1)
    run_sampling(c, backend=FakeBackend(script=SCRIPT), problems=PROBS)
    (tmp_path / "run" / "run.json").unlink()
    before = (tmp_path / "run" / "samples.jsonl").read_text()
    with pytest.raises(ConfigError, match=r"run.json is missing or torn\) \(temperature: 0.7 -> 1.0\)"):
        run_sampling(cfg(tmp_path, k=2, temperature=1.0), backend=FakeBackend(script=SCRIPT), problems=PROBS)
    (tmp_path / "run" / "run.json").write_text('{"config": {"temper')  # torn by a kill
    with pytest.raises(ConfigError, match=r"teacher: 'fake' -> 'other'"):
        run_sampling(cfg(tmp_path, k=2, model="other"), backend=FakeBackend(script=SCRIPT), problems=PROBS)
    assert (tmp_path / "run" / "samples.jsonl").read_text() == before
    # Same settings: the run resumes.
    s = run_sampling(cfg(tmp_path, k=2), backend=FakeBackend(script=SCRIPT), problems=PROBS)
    assert s["samples"] == 4


def test_resume_without_run_json_checks_the_prompt(tmp_path):
    c = cfg(tmp_path, k=1)
    run_sampling(c, backend=FakeBackend(script=SCRIPT), problems=PROBS)
    (tmp_path / "run" / "run.json").unlink()
    with pytest.raises(ConfigError, match="another prompt for problem 'b'"):
        run_sampling(cfg(tmp_path, k=2, template="gsm8k"), backend=FakeBackend(script=SCRIPT), problems=PROBS)
    assert sum(1 for _ in read_jsonl(tmp_path / "run" / "samples.jsonl")) == 2


def test_prop2diff_records_the_estimate_curation_reads(tmp_path):
    """Issue 17: stats.jsonl holds the sampler's fail rate and target; `read_fail_rates` gives back
    that estimate (not the counts of a problem sampled up to its target)."""
    from mathdistill.store.samples import read_fail_rates

    script = {"Alpha": ["So \\boxed{3}", "So \\boxed{0}"], "Beta": ["So \\boxed{5}"]}
    c = cfg(tmp_path, strategy="prop2diff", k_max=4, max_trials=12, first_pass_k=2)
    run_sampling(c, backend=FakeBackend(script=script), problems=PROBS)
    stats = {r["problem_id"]: r for _, r in read_jsonl(tmp_path / "run" / "stats.jsonl")}
    # a: first pass 1 of 2 (f = 1/2), b never right (f = 1): targets ceil(4 * 1/2) = 2 and 4.
    assert (stats["a"]["fail_rate"], stats["a"]["target"]) == (0.5, 2)
    assert (stats["b"]["fail_rate"], stats["b"]["target"]) == (1.0, 4)
    assert stats["a"]["trials"] == 3 and stats["a"]["correct"] == 2  # counted, f would be 1/3
    rates = read_fail_rates(tmp_path / "run" / "stats.jsonl")
    assert rates == {"a": 0.5, "b": 1}
