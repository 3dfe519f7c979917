"""Run-config features the paper recipes need: a teacher template other than the student's (DART), a
trained student sampled on the training split and curated for the ranker (TDG), shipped recipes by name."""

from __future__ import annotations

import json

import pytest
from test_pipeline_fake import _base, _run, fake_train  # noqa: F401  (fixture)

from mathdistill.errors import ConfigError
from mathdistill.pipeline import build_plan, load_run_config
from mathdistill.pipeline.stages import MARKER


def test_teacher_template_samples_while_the_student_keeps_the_run_template(tmp_path):
    d = _base(tmp_path, template="alpaca", teacher_template="deepseekmath", rounds=2)
    stages = {s.id: s for s in build_plan(load_run_config(None, None, base=d), tmp_path / "run")}
    assert stages["sample_r1"].config.template == "deepseekmath"
    # the student is trained, evaluated and (round 2) sampled with the run's template
    assert stages["sample_r2"].config.template == "alpaca"
    assert stages["curate_r1"].config.template == stages["train_sft_r1"].config.template == "alpaca"
    assert stages["eval_base"].config.template == stages["eval_sft_r2"].config.template == "alpaca"
    plain = {s.id: s for s in build_plan(load_run_config(None, None, base=_base(tmp_path)), tmp_path / "run")}
    assert plain["sample"].config.template == plain["train_sft"].config.template == "gsm8k"


def test_student_samples_feed_the_ranker(tmp_path, fake_train):  # noqa: F811
    d = _base(tmp_path, train=[{"method": "sft"}, {"method": "ranker", "data": ["{curate_student}/ranker.jsonl"]}],
              student_samples={"step": "sft", "sample": {"k": 4}, "curate": {"include_reference": True,
                                                                             "formats": ["ranker"]}})
    run = tmp_path / "run"
    stages = build_plan(load_run_config(None, None, base=d), run)
    ids = [s.id for s in stages]
    assert ids.index("train_sft") < ids.index("sample_student") < ids.index("curate_student") < ids.index(
        "train_ranker")
    _run(d)
    for f in ("sample_student", "curate_student", "train_ranker"):
        assert (run / f / MARKER).exists(), f
    rows = [json.loads(x) for x in (run / "sample_student" / "samples.jsonl").read_text().splitlines()]
    assert len(rows) == 6 * 4 and {r["teacher"] for r in rows} == {str(run / "train_sft")}
    assert (run / "curate_student" / "ranker.jsonl").exists() and not (run / "curate_student" / "sft.jsonl").exists()
    ranker = next(c for c in fake_train if c.method == "ranker")
    assert ranker.data == [str(run / "curate_student" / "ranker.jsonl")]
    groups = [json.loads(x) for x in (run / "curate_student" / "ranker.jsonl").read_text().splitlines()]
    assert groups and all(g["positives"] and g["negatives"] for g in groups)


def test_student_samples_errors(tmp_path):
    with pytest.raises(ConfigError, match="student_samples.step 'nat' is not a train step"):
        load_run_config(None, None, base=_base(tmp_path, student_samples={"step": "nat"}))
    bad = _base(tmp_path, student_samples={"step": "sft", "sample": {"k": 0}})
    with pytest.raises(ConfigError, match="student_samples"):
        build_plan(load_run_config(None, None, base=bad), tmp_path / "run")
    early = _base(tmp_path, train=[{"method": "ranker", "data": ["{curate_student}/ranker.jsonl"]},
                                   {"method": "sft"}], student_samples={"step": "sft"})
    with pytest.raises(ConfigError, match="unknown placeholder '{curate_student}'"):
        build_plan(load_run_config(None, None, base=early), tmp_path / "run")


def test_a_shipped_recipe_loads_by_name():
    cfg = load_run_config("run_tdg_math")
    assert cfg.student == "huggyllama/llama-7b" and cfg.student_samples.step == "nat"
    assert load_run_config("configs/run_rft_gsm8k.yaml").template == "rft"
    with pytest.raises(ConfigError):
        load_run_config("no_such_recipe")
