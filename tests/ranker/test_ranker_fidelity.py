"""Ranker fixes of issue 17: TDG's one-random-pair validation beside all pairs, progress reaches the ranker,
and `train` refuses a finished ranker folder made with other settings instead of returning it."""

from __future__ import annotations

import random
import shutil
from pathlib import Path

import pytest

pytest.importorskip("torch")
pytest.importorskip("transformers")

from ranker_helpers import ranker_cfg

from mathdistill.errors import ConfigError
from mathdistill.training import run_training


def test_run_training_passes_progress_to_the_ranker(monkeypatch, tmp_path):
    from mathdistill.ranker import train as ranker_train

    seen = []
    monkeypatch.setattr(ranker_train, "train_ranker", lambda cfg, progress=True: seen.append(progress) or {})
    cfg = ranker_cfg("minilm", str(tmp_path / "g.jsonl"), tmp_path / "out")
    run_training(cfg, progress=False)
    run_training(cfg, progress=True)
    assert seen == [False, True]


def test_finished_ranker_with_other_settings_is_refused(trained_ranker, tiny_encoder, groups_file, tmp_path):
    src, summary = trained_ranker
    out = tmp_path / "copy"
    shutil.copytree(src, out)
    same = run_training(ranker_cfg(tiny_encoder, groups_file, out), progress=False)
    assert same["skipped"] and same["epochs"] == summary["epochs"]
    with pytest.raises(ConfigError, match=r"finished ranker trained with other settings.*learning_rate"):
        run_training(ranker_cfg(tiny_encoder, groups_file, out, learning_rate=5e-4), progress=False)


def test_validation_reports_all_pairs_and_one_random_pair(trained_ranker, groups_file):
    from mathdistill.ranker import load_ranker
    from mathdistill.ranker.data import pairwise_accuracy, read_groups, split_groups
    from mathdistill.ranker.scorer import score_pairs_with
    from mathdistill.ranker.validation import validate

    out, s = trained_ranker
    assert all(e["val_random_pair_accuracy"] is not None for e in s["epochs"])
    assert len(s["val_random_pair_accuracy"]) == len(s["epochs"])
    _, val = split_groups(read_groups([groups_file])[0], 8, 0)
    r = load_ranker(out, device="cpu")
    v = validate(r.model, r.tokenizer, val, 3.0, 64, seed=0)
    rng, wins, accs = random.Random("val:0"), [], []
    for g in val:
        pos = score_pairs_with(r.model, r.tokenizer, [(g.question, x) for x in g.positives], 64)
        neg = score_pairs_with(r.model, r.tokenizer, [(g.question, x) for x in g.negatives], 64)
        accs.append(pairwise_accuracy(pos, neg))
        wins.append(float(rng.choice(pos) > rng.choice(neg)))
    assert v["val_random_pair_accuracy"] == pytest.approx(sum(wins) / len(wins))
    assert v["val_pairwise_accuracy"] == pytest.approx(sum(accs) / len(accs))
    assert validate(r.model, r.tokenizer, val, 3.0, 64, seed=0) == v  # the same pairs every epoch


def test_best_epoch_by_either_metric():
    from mathdistill.ranker.validation import best_epoch

    rows = [{"epoch": 1, "val_pairwise_accuracy": 0.7, "val_random_pair_accuracy": 0.9, "val_loss": 0.5},
            {"epoch": 2, "val_pairwise_accuracy": 0.8, "val_random_pair_accuracy": 0.6, "val_loss": 0.4}]
    assert best_epoch(rows) == best_epoch(rows, "all_pairs") == 2
    assert best_epoch(rows, "random_pair") == 1


def test_val_metric_changes_the_run(trained_ranker, tiny_encoder, groups_file, tmp_path):
    src, _ = trained_ranker
    out = tmp_path / "copy"
    shutil.copytree(src, out)
    with pytest.raises(ConfigError, match="val_metric"):
        run_training(ranker_cfg(tiny_encoder, groups_file, Path(out), ranker={"val_metric": "random_pair"}),
                     progress=False)
