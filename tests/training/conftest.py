"""Fixtures of the distillation tests (kd, opd)."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def teacher_lm(tmp_path_factory, tiny_lm) -> str:
    """Another random tiny Llama with the same tokenizer: a teacher the student is not."""
    transformers = pytest.importorskip("transformers")
    torch = pytest.importorskip("torch")
    tok = transformers.AutoTokenizer.from_pretrained(tiny_lm)
    config = transformers.AutoConfig.from_pretrained(tiny_lm)
    torch.manual_seed(1)
    model = transformers.LlamaForCausalLM(config)
    out = tmp_path_factory.mktemp("teacher_lm")
    model.save_pretrained(out)
    tok.save_pretrained(out)
    return str(out)
