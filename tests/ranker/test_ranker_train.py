"""Ranker training on a toy separable set: accuracy, best epoch, resume, bad input, score/eval CLIs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytest.importorskip("torch")
pytest.importorskip("transformers")

from ranker_helpers import ranker_cfg, toy_groups, write_jsonl

from mathdistill.errors import ConfigError, DataError
from mathdistill.models.manifest import MANIFEST, is_complete
from mathdistill.ranker import load_ranker, train_ranker


def test_toy_training_separates_and_keeps_best_epoch(trained_ranker, groups_file):
    out, s = trained_ranker
    assert s["status"] == "complete" and s["method"] == "ranker" and is_complete(out)
    accs = s["val_pairwise_accuracy"]
    assert len(accs) == 3 and max(accs) > 0.9
    assert s["best_val_pairwise_accuracy"] == max(accs)
    assert s["epochs"][s["best_epoch"] - 1]["val_pairwise_accuracy"] == max(accs)
    m = json.loads((Path(out) / MANIFEST).read_text())
    assert m["data_fingerprint"][groups_file] and m["run_metadata"]["versions"]["torch"]
    assert m["run_metadata"]["config"]["method"] == "ranker" and m["weight_decay"] == 1e-5
    assert not (Path(out) / "checkpoints").exists()
    # The installed weights are the best epoch's: rescoring the held-out questions reproduces its loss.
    from mathdistill.ranker.data import read_groups, split_groups
    from mathdistill.ranker.validation import validate

    _, val = split_groups(read_groups([groups_file])[0], 8, 0)
    r = load_ranker(out, device="cpu")
    v = validate(r.model, r.tokenizer, val, 3.0, 64)
    assert v["val_loss"] == pytest.approx(s["epochs"][s["best_epoch"] - 1]["val_loss"], abs=1e-5)


def test_rerun_of_a_finished_run_skips(trained_ranker, tiny_encoder, groups_file):
    out, s = trained_ranker
    again = train_ranker(ranker_cfg(tiny_encoder, groups_file, Path(out)), progress=False)
    assert again["skipped"] and again["epochs"] == s["epochs"]
    with pytest.raises(ConfigError, match=r"other settings or data \(seed: 0 -> 1\)"):
        train_ranker(ranker_cfg(tiny_encoder, groups_file, Path(out), seed=1), progress=False)


@pytest.mark.slow  # tens of seconds on 2 cores: in the slow suite, which CI also runs
def test_resume_after_interruption_matches_uninterrupted(trained_ranker, tiny_encoder, groups_file, tmp_path,
                                                         monkeypatch):
    from mathdistill.ranker import checkpoint as ck

    orig = ck.save_checkpoint

    def dies_after_epoch_2(out, epoch, *a, **kw):
        path = orig(out, epoch, *a, **kw)
        if epoch == 2:
            raise KeyboardInterrupt
        return path

    monkeypatch.setattr(ck, "save_checkpoint", dies_after_epoch_2)
    cfg = ranker_cfg(tiny_encoder, groups_file, tmp_path / "run")
    with pytest.raises(KeyboardInterrupt):
        train_ranker(cfg, progress=False)
    assert not is_complete(tmp_path / "run")
    assert [e for e, _ in ck.list_checkpoints(tmp_path / "run")][-1] == 2
    monkeypatch.setattr(ck, "save_checkpoint", orig)
    s = train_ranker(cfg, progress=False)
    assert s["status"] == "complete" and len(s["epochs"]) == 3
    ref = trained_ranker[1]["epochs"]
    for a, b in zip(s["epochs"], ref, strict=True):
        assert a["train_loss"] == pytest.approx(b["train_loss"], abs=1e-5)
        assert a["val_loss"] == pytest.approx(b["val_loss"], abs=1e-5)


@pytest.mark.slow  # tens of seconds on 2 cores: in the slow suite, which CI also runs
def test_kill_mid_epoch_resumes_from_the_step_checkpoint(trained_ranker, tiny_encoder, groups_file, tmp_path,
                                                        monkeypatch):
    from mathdistill.ranker import checkpoint as ck

    orig = ck.save_step_checkpoint
    saved = []

    def dies_after_second_save(out, step, *a, **kw):
        path = orig(out, step, *a, **kw)
        saved.append(step)
        if len(saved) == 2:
            raise KeyboardInterrupt  # like a kill -9 right after the checkpoint landed
        return path

    monkeypatch.setattr(ck, "save_step_checkpoint", dies_after_second_save)
    cfg = ranker_cfg(tiny_encoder, groups_file, tmp_path / "run", save_steps=2)
    spe = trained_ranker[1]["steps_per_epoch"]
    assert spe > 4, "the toy set must give room for mid-epoch checkpoints"
    with pytest.raises(KeyboardInterrupt):
        train_ranker(cfg, progress=False)
    assert saved == [2, 4] and ck.step_checkpoint(tmp_path / "run")[0] == 4 and not ck.list_checkpoints(tmp_path / "run")
    monkeypatch.setattr(ck, "save_step_checkpoint", orig)
    resumed_at = []
    real_load = ck.read_state

    def spy(ckpt):
        resumed_at.append(Path(ckpt).name)
        return real_load(ckpt)

    monkeypatch.setattr(ck, "read_state", spy)
    s = train_ranker(cfg, progress=False)
    assert "step-4" in resumed_at
    assert s["status"] == "complete" and s["steps"] == trained_ranker[1]["steps"]
    for a, b in zip(s["epochs"], trained_ranker[1]["epochs"], strict=True):
        assert a["train_loss"] == pytest.approx(b["train_loss"], abs=1e-5)
        assert a["val_loss"] == pytest.approx(b["val_loss"], abs=1e-5)
    assert not (tmp_path / "run" / "checkpoints").exists()


def test_max_steps_limits_training(tiny_encoder, groups_file, tmp_path):
    cfg = ranker_cfg(tiny_encoder, groups_file, tmp_path / "r", max_steps=3, ranker={"max_length": 4096})
    s = train_ranker(cfg, progress=False)
    assert s["steps"] == 3 and len(s["epochs"]) == 1
    assert s["max_length"] == 128  # capped at the tiny encoder's position table
    assert json.loads((tmp_path / "r" / "ranker.json").read_text())["max_length"] == 128


@pytest.mark.parametrize(("text", "match"), [
    ("", r"g\.jsonl: empty file"),
    ('{"question": "q", "positives": ["a"], "negatives": ["b"]}\n{"question": "q", "positives": ["a"]}\n',
     r"g\.jsonl:2: field 'negatives': missing required field"),
    ('{"positives": ["a"], "negatives": ["b"]}\n', r"g\.jsonl:1: field 'question'"),
    ('{"question": "q", "positives": "a", "negatives": ["b"]}\n', r"g\.jsonl:1: field 'positives': expected a list"),
    ('{"question": "q", "positives": ["a", 3], "negatives": ["b"]}\n', r"g\.jsonl:1: field 'positives\[1\]'"),
    ('{"question": "q", "positives": ["a"], "negatives": []}\n{"question": "r", "positives": [], "negatives": ["b"]}\n',
     r"g\.jsonl: field 'positives/negatives': no group has both"),
    ('{"question": "q", "positives": ["a"], "negatives": ["b"]}\nnot json\n', r"g\.jsonl:2: malformed JSON"),
])
def test_bad_input_names_file_line_and_field(tmp_path, text, match):
    p = tmp_path / "g.jsonl"
    p.write_text(text)
    with pytest.raises(DataError, match=match):
        train_ranker(ranker_cfg("unused-encoder", str(p), tmp_path / "out"), progress=False)
    assert not (tmp_path / "out").exists()  # nothing loaded or written before the data is valid


def test_no_data_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="--data"):
        train_ranker(ranker_cfg("x", "x", tmp_path).__class__(method="ranker", output_dir=str(tmp_path)),
                     progress=False)


# --- score CLI and ASC voting with the trained ranker ---------------------------------------------

PROBLEMS = [{"id": "seven", "question": "What is 3 plus 4?", "answer": "7"},
            {"id": "ten", "question": "What is 6 plus 4?", "answer": "10"}]
# First response of each goes to the greedy pass; the four samples tie 2-2 for majority voting.
SCRIPT = {
    "3 plus 4": ["\\boxed{7}", "Adding gives 7. This is correct. \\boxed{7}", "wrong wrong: 3 + 4 = \\boxed{8}",
                 "Adding gives 8. This is wrong. \\boxed{8}", "correct: 3 + 4 = \\boxed{7}"],
    "6 plus 4": ["\\boxed{10}", "wrong wrong: 6 + 4 = \\boxed{2}", "correct: 6 + 4 = \\boxed{10}",
                 "Adding gives 10. This is correct. \\boxed{10}", "Adding gives 2. This is wrong. \\boxed{2}"],
}


@pytest.fixture()
def eval_run(tmp_path) -> Path:
    from mathdistill.eval.config import EvalConfig
    from mathdistill.eval.pipeline import run_eval
    from mathdistill.sampling.backends.fake import FakeBackend

    data = write_jsonl(tmp_path / "toy.jsonl", PROBLEMS)
    cfg = EvalConfig(model="toy", backend="fake", data=[data], n=4, temperature=0.7, max_new_tokens=50,
                     out=str(tmp_path / "run"), grade_workers=1, batch_size=2, n_boot=50)
    run_eval(cfg, backend_factory=lambda: FakeBackend(script=SCRIPT), progress=False)
    return tmp_path / "run"


def test_score_cli_and_asc_eval_with_trained_ranker(trained_ranker, eval_run, tmp_path):
    from typer.testing import CliRunner

    from mathdistill.cli.main import app

    out, _ = trained_ranker
    runner = CliRunner()
    scores = tmp_path / "scores.jsonl"
    r = runner.invoke(app, ["score", "--ranker", out, "--samples", str(eval_run), "-o", str(scores),
                            "--no-progress", "--device", "cpu"])
    assert r.exit_code == 0, r.output
    rows = [json.loads(x) for x in scores.read_text().splitlines()]
    assert len(rows) == 2 * 4 and {tuple(sorted(x)) for x in rows} == {("problem_id", "sample_idx", "score")}
    by = {(x["problem_id"], x["sample_idx"]): x["score"] for x in rows}
    assert min(by[("seven", 0)], by[("seven", 3)]) > max(by[("seven", 1)], by[("seven", 2)])

    for ranker in (out, str(scores)):  # the directory itself, and the precomputed scores
        dst = tmp_path / ("asc_dir" if ranker == out else "asc_file")
        r2 = runner.invoke(app, ["eval", "--from-samples", str(eval_run), "--out", str(dst),
                                 "--voting", "asc", "--ranker", ranker])
        assert r2.exit_code == 0, r2.output
        m = json.loads((dst / "results.json").read_text())["metrics"]["toy"]
        assert m["maj@4"]["value"] == pytest.approx(0.5)  # 2-2 ties
        assert m["asc@4"]["value"] == pytest.approx(1.0)  # the ranker breaks them the right way
        assert m["ranker_coverage"] == pytest.approx(1.0)
        assert "asc@4" in r2.output and "maj@4" in r2.output


def test_score_cli_errors_are_one_line(tmp_path, eval_run):
    from mathdistill.cli.main import main

    with pytest.raises(SystemExit) as e:
        main(["score", "--ranker", str(tmp_path), "--samples", str(eval_run), "-o", str(tmp_path / "s.jsonl")])
    assert e.value.code == 1
    with pytest.raises(SystemExit):
        main(["score", "--ranker", str(tmp_path), "--samples", str(tmp_path / "nowhere"), "-o", "x.jsonl"])


def test_toy_groups_helper_is_consistent():
    rows = toy_groups(3)
    assert all(r["positives"] and r["negatives"] for r in rows)
