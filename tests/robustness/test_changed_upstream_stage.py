"""`run`: once a stage is redone with other settings, every stage that reads it (directly or not) is no
longer "done", so the summary never credits an old model to new data (issue 23, wrong results 3)."""

from __future__ import annotations

import json
import shutil

import pytest

from mathdistill.data.sources import load_problems
from mathdistill.errors import ConfigError
from mathdistill.pipeline import build_plan, load_run_config, run_pipeline
from mathdistill.pipeline.stages import MARKER, upstream

DATA = "arith:steps=1"


def _base(tmp_path, **extra):
    script = {p.question: [f"The answer is {p.answer}.", "The answer is 99999."]
              for split, n in (("train", 4), ("test", 3)) for p in load_problems(DATA, split, limit=n)}
    fake = {"script": script, "by_seed": True}
    d = {"out": str(tmp_path / "run"), "teacher": "fake-teacher", "student": "fake-student", "backend": "fake",
         "progress": False, "data": {"train": DATA, "train_limit": 4, "test": [DATA], "test_limit": 3},
         "sample": {"strategy": "vanilla", "k": 2, "grading_workers": 1, "backend_options": fake},
         "curate": {"plots": False}, "eval": {"n": 2, "grade_workers": 1, "backend_kwargs": fake, "n_boot": 50},
         "train": [{"method": "sft"}], "n_boot": 50, "report": False}
    d.update(extra)
    return d


@pytest.fixture
def fake_train(monkeypatch):
    calls = []

    def run_training(cfg, progress=True):
        from pathlib import Path

        Path(cfg.output_dir).mkdir(parents=True, exist_ok=True)
        calls.append(cfg)
        return {"status": "complete"}

    from mathdistill import training

    monkeypatch.setattr(training, "run_training", run_training)
    return calls


def _run(d, overrides=None, **kw):
    return run_pipeline(load_run_config(None, overrides, base=d), **kw)


def test_downstream_of_a_redone_stage_is_not_done(tmp_path, fake_train):
    run = tmp_path / "run"
    _run(_base(tmp_path))
    assert len(fake_train) == 1
    # The sample stage is redone with another temperature (its folder removed, then rerun alone).
    shutil.rmtree(run / "sample")
    new = ["sample.temperature=0.3"]
    _run(_base(tmp_path), new, stages=["sample"])
    plan = {p["stage"]: p["status"] for p in _run(_base(tmp_path), new, dry_run=True)["plan"]}
    assert plan == {"sample": "done", "eval_base": "done", "curate": "stale", "train_sft": "stale",
                    "eval_sft": "stale"}
    with pytest.raises(ConfigError, match="completed with other settings") as e:
        _run(_base(tmp_path), new)
    msg = str(e.value)
    for f in ("curate", "train_sft", "eval_sft"):
        assert str(run / f) in msg
    assert str(run / "eval_base") not in msg  # the base student reads nothing the sample stage made
    assert len(fake_train) == 1
    for f in ("curate", "train_sft", "eval_sft"):
        shutil.rmtree(run / f)
    _run(_base(tmp_path), new)
    assert len(fake_train) == 2
    marker = json.loads((run / "curate" / MARKER).read_text())
    assert set(marker["upstream"]) == {"sample"}


def test_what_each_stage_reads(tmp_path):
    d = _base(tmp_path, rounds=2, train=[{"method": "sft"}, {"method": "dpo", "data": ["{curate}/pairs.jsonl"],
                                                          "eval": False}])
    stages = build_plan(load_run_config(None, None, base=d), tmp_path / "run")
    reads = {s.id: sorted(u.id for u in upstream(s, stages)) for s in stages}
    assert reads["sample_r1"] == [] and reads["eval_base"] == []
    assert reads["curate_r1"] == ["sample_r1"]
    assert reads["train_sft_r1"] == ["curate_r1"] and reads["train_dpo_r1"] == ["curate_r1"]
    assert reads["eval_sft_r1"] == ["train_sft_r1"]
    assert reads["sample_r2"] == ["train_sft_r1"]
    assert reads["curate_r2"] == ["sample_r1", "sample_r2"]
    assert reads["train_sft_r2"] == ["curate_r2"]
