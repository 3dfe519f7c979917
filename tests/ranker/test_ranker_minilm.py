"""The offline default encoder (packaged all-MiniLM-L6-v2): a few real training steps, then scoring."""

from __future__ import annotations

import pytest
from ranker_helpers import toy_groups, write_jsonl


@pytest.mark.slow
def test_minilm_default_trains_and_scores(tmp_path, minilm_path):
    pytest.importorskip("torch")
    from mathdistill.ranker import load_ranker, train_ranker
    from mathdistill.training.config import RankerArgs, TrainConfig

    data = write_jsonl(tmp_path / "g.jsonl", toy_groups(12))
    cfg = TrainConfig(method="ranker", data=[data], output_dir=str(tmp_path / "r"), max_steps=4,
                      per_device_train_batch_size=2, ranker=RankerArgs(val_questions=2, max_length=96))
    assert cfg.model == "smollm2"  # the generic default means MiniLM for the ranker
    s = train_ranker(cfg, progress=False)
    assert s["status"] == "complete" and s["steps"] == 4 and s["encoder_resolved"] == str(minilm_path)
    assert s["val_pairwise_accuracy"][0] is not None
    r = load_ranker(tmp_path / "r", device="cpu")
    scores = r.score_pairs([("What is 2 plus 2?", "Adding gives 4. This is correct."),
                            ("What is 2 plus 2?", "Adding gives 5. This is wrong."),
                            ("What is 2 plus 2? " * 200, "Adding gives 4.")])  # over-length: question cut
    assert len(scores) == 3 and all(0.0 < x < 1.0 for x in scores)
    assert (tmp_path / "r" / "encoder" / "config.json").exists()
