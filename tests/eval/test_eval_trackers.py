"""`eval --report-to tensorboard,trackio`: the metrics reach real trackers (offline), read back from
what they wrote. The model is the scripted fake backend of test_eval_pipeline (orchestration); the
trackers are the real libraries."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from mathdistill.eval.trackers import scalars

from test_eval_pipeline import PROBLEMS, SCRIPT  # noqa: E402 - the same toy problems and script


def test_scalars_flatten_metrics_with_ci_and_spread():
    doc = {"metrics": {"aime25": {"n_problems": 30, "mean@n": {"value": 0.25, "ci": [0.1, 0.4], "n": 30},
                                  "runs": {"n": 4, "std": 0.05, "per_run": [0.2, 0.3]},
                                  "truncation_rate": 0.1, "verifier_agreement": {"rate": 1.0}, "flag": True,
                                  "pass@64": {"value": float("nan"), "ci": None}}}}
    assert scalars(doc) == {"eval/aime25/n_problems": 30.0, "eval/aime25/mean@n": 0.25,
                            "eval/aime25/mean@n_ci_low": 0.1, "eval/aime25/mean@n_ci_high": 0.4,
                            "eval/aime25/runs_std": 0.05, "eval/aime25/truncation_rate": 0.1}


def test_eval_reports_to_tensorboard_and_trackio_offline(tmp_path):
    pytest.importorskip("tensorboard")
    pytest.importorskip("trackio")
    data = tmp_path / "toy.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in PROBLEMS))
    env = {**os.environ, "TRACKIO_DIR": str(tmp_path / "trackio"), "HF_HUB_OFFLINE": "1"}
    out = tmp_path / "ev"
    r = subprocess.run([sys.executable, "-m", "mathdistill", "eval", "--backend", "fake", "--model", "toy",
                        "--data", str(data), "--n", "4", "--out", str(out), "--grade-workers", "1", "--no-progress",
                        "--report-to", "tensorboard,trackio", "--run-name", "toy-eval",
                        "--set", f"backend_kwargs={json.dumps({'script': SCRIPT})}"],
                       capture_output=True, text=True, env=env, timeout=300, check=False)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-2000:]
    res = json.loads((out / "results.json").read_text())
    want = res["metrics"]["toy"]["mean@n"]["value"]
    assert set(res["trackers"]) == {"tensorboard", "trackio"}

    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    acc = EventAccumulator(str(out / "tensorboard"))
    acc.Reload()
    assert acc.Scalars("eval/toy/mean@n")[0].value == pytest.approx(want)
    assert "eval/toy/mean@n_ci_low" in acc.Tags()["scalars"]

    read = ("import json, trackio; logs = trackio.SQLiteStorage.get_logs('mathdistill', 'toy-eval'); "
            "print(json.dumps(logs[-1]))")
    got = subprocess.run([sys.executable, "-c", read], capture_output=True, text=True, env=env, timeout=120, check=True)
    row = json.loads(got.stdout.strip().splitlines()[-1])
    assert row["eval/toy/mean@n"] == pytest.approx(want)
    assert row["eval/toy/runs_std"] == pytest.approx(res["metrics"]["toy"]["runs"]["std"])


def test_unknown_tracker_is_one_line(tmp_path):
    r = subprocess.run([sys.executable, "-m", "mathdistill", "eval", "--backend", "fake", "--model", "toy",
                        "--data", "gsm8k", "--report-to", "mlflowx", "--out", str(tmp_path / "x")],
                       capture_output=True, text=True, timeout=120, check=False)
    assert r.returncode != 0 and "mlflowx" in (r.stdout + r.stderr) and "Traceback" not in r.stderr
    assert not (tmp_path / "x").exists()
