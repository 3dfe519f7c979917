"""Shared fixtures. Benchmark data comes from ../shared/data unless MATHDISTILL_DATA is set."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
_DEFAULT_DATA = REPO.parent / "shared" / "data"
if not os.environ.get("MATHDISTILL_DATA") and _DEFAULT_DATA.exists():
    os.environ["MATHDISTILL_DATA"] = str(_DEFAULT_DATA)


@pytest.fixture(scope="session")
def data_dir() -> Path:
    d = os.environ.get("MATHDISTILL_DATA")
    if not d or not Path(d).exists():
        pytest.skip("benchmark data not found: set MATHDISTILL_DATA or put shared/data beside the repo")
    return Path(d)


@pytest.fixture(scope="session")
def smollm2_path() -> str:
    """The embedded model as a plain HF checkpoint (prepared once, cached)."""
    pytest.importorskip("transformers")
    pytest.importorskip("gguf")
    from mathdistill.models import smollm2

    try:
        smollm2.find_gguf()
    except Exception as e:  # pragma: no cover
        pytest.skip(f"embedded model package not installed: {e}")
    return str(smollm2.prepare())


@pytest.fixture(scope="session")
def tiny_lm(tmp_path_factory, smollm2_path) -> str:
    """A 2-layer Llama with SmolLM2's tokenizer and chat template, saved as a plain HF checkpoint.

    Fast enough for CPU unit tests of training and generation; weights are random (seeded).
    """
    transformers = pytest.importorskip("transformers")
    torch = pytest.importorskip("torch")
    out = tmp_path_factory.mktemp("tiny_lm")
    tok = transformers.AutoTokenizer.from_pretrained(smollm2_path)
    config = transformers.LlamaConfig(vocab_size=len(tok), hidden_size=32, intermediate_size=64,
                                      num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2,
                                      max_position_embeddings=2048, bos_token_id=tok.bos_token_id,
                                      eos_token_id=tok.eos_token_id, pad_token_id=tok.pad_token_id,
                                      tie_word_embeddings=True)
    torch.manual_seed(0)
    model = transformers.LlamaForCausalLM(config)
    model.save_pretrained(out)
    tok.save_pretrained(out)
    return str(out)
