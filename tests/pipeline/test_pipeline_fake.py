"""`mathdistill run` orchestration with the fake backend and a stand-in training stage."""

import json

import pytest

from mathdistill.data.sources import load_problems
from mathdistill.errors import ConfigError
from mathdistill.pipeline import build_plan, load_run_config, run_pipeline
from mathdistill.pipeline.stages import MARKER

DATA = "arith:steps=1"


def _script(split, limit):
    # Half the samples are right; the wrong answer is a number no 1-step arith problem has.
    return {p.question: [f"So {p.answer}. The answer is {p.answer}.", "The answer is 99999."]
            for p in load_problems(DATA, split, limit=limit)}


def _base(tmp_path, **extra):
    fake = {"script": {**_script("train", 6), **_script("test", 5)}, "by_seed": True}
    d = {"out": str(tmp_path / "run"), "teacher": "fake-teacher", "student": "fake-student", "backend": "fake",
         "progress": False,
         "data": {"train": DATA, "train_limit": 6, "test": [DATA], "test_limit": 5},
         "sample": {"strategy": "vanilla", "k": 2, "grading_workers": 1, "backend_options": fake},
         "curate": {"plots": False},
         "eval": {"n": 2, "grade_workers": 1, "backend_kwargs": fake, "n_boot": 100},
         "train": [{"method": "sft"}], "n_boot": 200}
    d.update(extra)
    return d


@pytest.fixture
def fake_train(monkeypatch):
    calls = []

    def run_training(cfg, progress=True):
        from pathlib import Path

        out = Path(cfg.output_dir)
        out.mkdir(parents=True, exist_ok=True)
        for f in [*cfg.data, *cfg.negatives]:
            assert Path(f).exists(), f
        calls.append(cfg)
        (out / "mathdistill_train.json").write_text(json.dumps({"status": "complete", "method": cfg.method}))
        return {"status": "complete"}

    from mathdistill import training

    monkeypatch.setattr(training, "run_training", run_training)
    return calls


def _run(d, **kw):
    return run_pipeline(load_run_config(None, kw.pop("overrides", None), base=d), **kw)


def test_all_stages_folders_summary_and_skip(tmp_path, fake_train):
    res = _run(_base(tmp_path))
    run = tmp_path / "run"
    for f in ("sample", "curate", "train_sft", "eval_base", "eval_sft"):
        assert (run / f / MARKER).exists(), f
    assert (run / "report.html").exists() and "Before / after" in (run / "report.html").read_text()
    assert (run / "config.yaml").exists()
    info = json.loads((run / "run.json").read_text())
    assert "versions" in info and info["plan"][0]["stage"] == "sample"
    assert (run / "sample" / "samples.jsonl").exists()
    assert (run / "eval_sft" / "results.json").exists()
    # sft trains on the curated chat rows from the curate folder, starting from the student
    (tcfg,) = fake_train
    assert tcfg.data == [str(run / "curate" / "sft_messages.jsonl")] and tcfg.model == "fake-student"
    assert tcfg.template == "gsm8k"
    summary = json.loads((run / "summary.json").read_text())
    assert summary == res["summary"]
    assert [m["label"] for m in summary["models"]] == ["base", "sft"]
    (c,) = summary["comparisons"]
    assert c["dataset"] == DATA and c["n"] == 5 and "paired bootstrap" in summary["test"]
    assert c["diff"] == 0.0 and not c["significant"]  # the fake model is the same before and after
    assert summary["verdict"] and "did not change" in summary["verdict"][0]
    # second run: everything done, nothing re-executed
    mtime = (run / "sample" / "samples.jsonl").stat().st_mtime_ns
    res2 = _run(_base(tmp_path))
    assert len(fake_train) == 1
    assert (run / "sample" / "samples.jsonl").stat().st_mtime_ns == mtime
    assert all(p["status"] in ("done", "always") for p in res2["plan"])


def test_stages_subset_then_rest(tmp_path, fake_train):
    _run(_base(tmp_path), stages=["sample", "curate"])
    run = tmp_path / "run"
    assert (run / "curate" / MARKER).exists() and not (run / "train_sft").exists()
    assert not (run / "eval_base").exists() and not (run / "report.html").exists()
    _run(_base(tmp_path), stages=["eval_base"])
    assert (run / "eval_base" / MARKER).exists() and not fake_train
    _run(_base(tmp_path))
    assert len(fake_train) == 1 and (run / "eval_sft" / MARKER).exists()
    with pytest.raises(ConfigError, match="unknown stage"):
        _run(_base(tmp_path), stages=["sampel"])


@pytest.mark.parametrize("stages", [[], [""], [" ", ""]])
def test_a_selection_naming_no_stage_is_refused(tmp_path, fake_train, stages):
    for dry_run in (True, False):
        with pytest.raises(ConfigError, match="names no stage"):
            _run(_base(tmp_path), stages=stages, dry_run=dry_run)
    assert not (tmp_path / "run").exists()


def test_dry_run_prints_plan_and_creates_nothing(tmp_path, fake_train):
    import yaml
    from typer.testing import CliRunner

    from mathdistill.cli.main import app

    cfgfile = tmp_path / "run.yaml"
    cfgfile.write_text(yaml.safe_dump(_base(tmp_path)))
    r = CliRunner().invoke(app, ["run", str(cfgfile), "--dry-run", "--set", "sample.k=3"])
    assert r.exit_code == 0, r.output
    for s in ("sample", "curate", "train_sft", "eval_base", "eval_sft", "report", "pending"):
        assert s in r.output
    assert "k: 3" in r.output and "fake-student" in r.output  # resolved sub-configs
    assert not (tmp_path / "run").exists()
    r = CliRunner().invoke(app, ["run", str(cfgfile), "--set", "rounds=0"])
    assert isinstance(r.exception, ConfigError) and "rounds must be >= 1" in str(r.exception)


def test_placeholders_chain_and_default_data(tmp_path, fake_train):
    d = _base(tmp_path, train=[{"method": "sft"}, {"method": "neg"},
                               {"method": "nat", "nat": {"negative_adapter": "{train_neg}"}},
                               {"method": "nce", "nce": {"teacher": "{train_nat}"}, "lora": {"r": 4}},
                               {"method": "dpo", "data": ["{curate}/pairs.jsonl"]}, {"method": "ul"}])
    run = tmp_path / "run"
    stages = {s.id: s for s in build_plan(load_run_config(None, None, base=d), run)}
    assert stages["train_neg"].config.data == [str(run / "curate" / "neg_sft.jsonl")]
    assert stages["train_nat"].config.nat.negative_adapter == str(run / "train_neg")
    assert stages["train_nat"].config.data == [str(run / "curate" / "sft.jsonl")]
    assert stages["train_nce"].config.nce.teacher == str(run / "train_nat")
    assert stages["train_dpo"].config.data == [str(run / "curate" / "pairs.jsonl")]
    assert stages["train_ul"].config.data == [str(run / "curate" / "sft.jsonl")]
    assert stages["train_ul"].config.negatives == [str(run / "curate" / "neg_sft.jsonl")]
    assert "eval_neg" not in stages and {"eval_sft", "eval_nat", "eval_nce", "eval_dpo"} <= set(stages)
    _run(d)
    assert [c.method for c in fake_train] == ["sft", "neg", "nat", "nce", "dpo", "ul"]
    bad = _base(tmp_path, train=[{"method": "nat", "nat": {"negative_adapter": "{train_neg}"}}])
    with pytest.raises(ConfigError, match="unknown placeholder '{train_neg}'"):
        build_plan(load_run_config(None, None, base=bad), run)
    with pytest.raises(ConfigError, match="neg_sft.jsonl or kto.jsonl"):
        build_plan(load_run_config(None, ["curate.formats=sft"], base=_base(tmp_path, train=[{"method": "neg"}])),
                   run)


def test_overrides_index_lists_and_bad_keys_name_the_step(tmp_path):
    cfg = load_run_config(None, ["train.0.learning_rate=0.001", "train_defaults.max_steps=3"], base=_base(tmp_path))
    (t,) = [s for s in build_plan(cfg, tmp_path / "r") if s.kind == "train"]
    assert t.config.learning_rate == 0.001 and t.config.max_steps == 3
    with pytest.raises(ConfigError, match=r"train\[0\].*learning_rat"):
        load_run_config(None, ["train.0.learning_rat=1"], base=_base(tmp_path))


def test_rounds_sample_from_previous_student_and_union(tmp_path, fake_train):
    d = _base(tmp_path, rounds=2)
    _run(d)
    run = tmp_path / "run"
    stages = {s.id: s for s in build_plan(load_run_config(None, None, base=d), run)}
    assert stages["sample_r1"].config.model == "fake-teacher"
    assert stages["sample_r2"].config.model == str(run / "train_sft_r1")
    for f in ("sample_r1", "curate_r1", "train_sft_r1", "eval_base", "eval_sft_r1", "sample_r2", "curate_r2",
              "train_sft_r2", "eval_sft_r2"):
        assert (run / f / MARKER).exists(), f
    # round 2 curates the union of both rounds' samples; every round trains from the original student
    n1 = len((run / "sample_r1" / "samples.jsonl").read_text().splitlines())
    n2 = len((run / "sample_r2" / "samples.jsonl").read_text().splitlines())
    rows = [json.loads(x) for x in (run / "curate_r2" / "input" / "samples.jsonl").read_text().splitlines()]
    assert len(rows) == n1 + n2 and {r["meta"]["round"] for r in rows} == {1, 2}
    assert len({(r["problem_id"], r["sample_idx"]) for r in rows}) == len(rows)
    assert [c.model for c in fake_train] == ["fake-student", "fake-student"]
    assert [c.data[0] for c in fake_train] == [str(run / "curate_r1" / "sft_messages.jsonl"),
                                               str(run / "curate_r2" / "sft_messages.jsonl")]
    summary = json.loads((run / "summary.json").read_text())
    assert [(m["label"], m["round"]) for m in summary["models"]] == [("base", 0), ("sft_r1", 1), ("sft_r2", 2)]


def test_finished_stage_with_other_settings_is_refused(tmp_path, fake_train):
    _run(_base(tmp_path), stages=["sample"])
    with pytest.raises(ConfigError, match="completed with other settings"):
        _run(_base(tmp_path), overrides=["sample.temperature=0.3"], stages=["sample"])


def test_paired_bootstrap_detects_a_real_difference():
    from mathdistill.pipeline.summary import paired_bootstrap

    a = [0.0] * 100
    b = [1.0] * 30 + [0.0] * 70
    t = paired_bootstrap(a, b, 2000)
    assert t["significant"] and t["diff"] == pytest.approx(0.3) and t["ci"][0] > 0.15 and t["p_value"] < 0.01
    t = paired_bootstrap([1.0, 0.0] * 20, [0.0, 1.0] * 20, 2000)
    assert not t["significant"] and t["diff"] == 0.0


def test_compare_to_tests_every_model_against_a_train_step(tmp_path, fake_train):
    """`compare_to: [sft]`: besides the base comparison, kd is tested against sft (KD vs RFT), paired over
    the same problems; an unknown step is refused before any work."""
    d = _base(tmp_path, train=[{"method": "sft"}, {"method": "sft", "name": "kd"}], compare_to=["sft"])
    summary = _run(d)["summary"]
    assert [c["label"] for c in summary["comparisons"]] == ["sft", "kd"]  # each vs base, as before
    (v,) = summary["versus"]
    assert (v["label"], v["against"], v["n"]) == ("kd", "sft", 5) and v["diff"] == 0.0
    assert any(line.startswith("kd vs sft on") for line in summary["verdict"])
    with pytest.raises(ConfigError, match="compare_to 'rft' is not a train step"):
        _run(_base(tmp_path / "x", compare_to=["rft"]))
    assert not (tmp_path / "x" / "run").exists()


def test_a_stage_finished_before_unset_fields_left_the_key_is_still_done(tmp_path, fake_train):
    from mathdistill.pipeline.stages import stage_key, status

    d = _base(tmp_path)
    _run(d, stages=["sample"])
    plan = build_plan(load_run_config(None, None, base=d), d["out"])
    stage = next(s for s in plan if s.id == "sample")
    marker = stage.path / MARKER
    doc = json.loads(marker.read_text())
    assert doc["key"] == stage_key(stage, plan) != stage_key(stage, plan, legacy=True)
    doc["key"] = stage_key(stage, plan, legacy=True)  # as the previous release wrote it
    marker.write_text(json.dumps(doc))
    assert status(stage, plan) == "done"
    doc["key"] = "0" * 16
    marker.write_text(json.dumps(doc))
    assert status(stage, plan) == "stale"
