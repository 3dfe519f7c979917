"""Loading a causal LM and its tokenizer from a model folder, the same way for every stage."""

from __future__ import annotations

from typing import Any

from mathdistill._optional import require
from mathdistill.errors import MathdistillError


def load_tokenizer(path: str) -> Any:
    transformers = require("transformers", "train")
    tok = transformers.AutoTokenizer.from_pretrained(path)
    if tok.eos_token_id is None:
        raise MathdistillError(f"{path}: the tokenizer has no EOS token; training needs one to teach stopping")
    if tok.pad_token_id is None:
        # Pads never reach the loss (labels -100, mask from lengths), so reusing EOS is safe.
        tok.pad_token = tok.eos_token
    return tok


def load_base(path: str, dtype: Any, attn_implementation: str | None = None) -> Any:
    transformers = require("transformers", "train")
    kw = {"attn_implementation": attn_implementation} if attn_implementation else {}
    return transformers.AutoModelForCausalLM.from_pretrained(path, dtype=dtype, **kw)
