"""kill -9 the `mathdistill sample` CLI mid-run, rerun the same command: nothing lost, nothing duplicated."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from mathdistill.io.jsonl import read_jsonl


def sample_cmd(out: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "mathdistill", "sample", "--data", "gsm8k", "--split", "test", "--out", str(out),
            "--no-progress", *extra]


def kill_when(cmd: list[str], path: Path, min_lines: int, timeout: float = 120) -> None:
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    children: list[int] = []
    t0 = time.monotonic()
    try:
        while time.monotonic() - t0 < timeout:
            if path.exists() and path.read_text().count("\n") >= min_lines:
                break
            if proc.poll() is not None:
                pytest.fail(f"run ended before it could be killed: {proc.stderr.read().decode()[-2000:]}")
            time.sleep(0.05)
        else:
            pytest.fail("run wrote nothing in time")
        # Remember its children (grading workers): kill -9 does not reach them, the test cleans them up.
        children = _children(proc.pid)
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait()
    for pid in children:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def _children(pid: int) -> list[int]:
    try:
        import psutil
    except ImportError:
        return []
    try:
        return [c.pid for c in psutil.Process(pid).children(recursive=True)]
    except psutil.Error:
        return []


def check_complete(out: Path, expected: set[tuple[str, int]]) -> list[dict]:
    rows = [r for _, r in read_jsonl(out / "samples.jsonl")]
    keys = [(r["problem_id"], r["sample_idx"]) for r in rows]
    assert len(keys) == len(set(keys)), "duplicated samples after resume"
    assert set(keys) == expected
    assert all(isinstance(r["correct"], bool) for r in rows)
    return rows


def test_kill9_and_resume_fake_backend(tmp_path, data_dir):
    out = tmp_path / "run"
    opts = json.dumps({"delay_s": 0.05, "by_seed": True, "script": {"Janet": ["\\boxed{18}", "\\boxed{3}"]}})
    cmd = sample_cmd(out, "--limit", "16", "--model", "fake", "--backend", "fake", "--strategy", "uniform",
                     "--k-correct", "2", "--max-trials", "3", "--batch-requests", "2", "--template", "boxed_cot",
                     "--grading-workers", "1", "--set", f"backend_options={opts}")
    kill_when(cmd, out / "samples.jsonl", min_lines=5)
    before = (out / "samples.jsonl").read_text().count("\n")
    done = subprocess.run(cmd, check=False, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    # Problem 0 gets one correct of its first two, then a third trial; the others fail 3 times.
    rows = check_complete(out, {(f"gsm8k/test/{i}", j) for i in range(16) for j in range(3)})
    assert before < len(rows)
    stats = {r["problem_id"]: r for _, r in read_jsonl(out / "stats.jsonl")}
    assert stats["gsm8k/test/1"]["stop_reason"] == "max_trials" and stats["gsm8k/test/1"]["trials"] == 3
