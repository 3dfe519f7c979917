"""TDG's ranker f(q, r) (methods.md 3.6): encoder, mean over rationale tokens, residual MLP head."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import torch
from torch import nn

from mathdistill.errors import ConfigError
from mathdistill.ranker import RANKER_FILE

HEAD_FILE = "head.safetensors"
ENCODER_DIR = "encoder"
FORMAT = "mathdistill-ranker/1"


class ResidualHead(nn.Module):
    """h1 = ELU(W1 h + b1) + h; h2 = ELU(W2 h1 + b2) + h1; s = sigmoid(w . h2 + b)."""

    def __init__(self, hidden: int):
        super().__init__()
        self.dense1 = nn.Linear(hidden, hidden)
        self.dense2 = nn.Linear(hidden, hidden)
        self.out = nn.Linear(hidden, 1)
        self.act = nn.ELU()

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        h1 = self.act(self.dense1(h)) + h
        h2 = self.act(self.dense2(h1)) + h1
        return torch.sigmoid(self.out(h2)).squeeze(-1)


def masked_mean(hidden: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean of hidden states over positions where mask == 1 (an all-zero row gives zeros)."""
    m = mask.to(hidden.dtype).unsqueeze(-1)
    return (hidden * m).sum(1) / m.sum(1).clamp(min=1.0)


def ranker_loss(s_pos: torch.Tensor, s_neg: torch.Tensor, gamma: float) -> torch.Tensor:
    """Mean over questions of (1 - s+)^gamma + (s-)^gamma."""
    return ((1.0 - s_pos).pow(gamma) + s_neg.pow(gamma)).mean()


def _encoder_class(config: Any) -> Any:
    import transformers

    if getattr(config, "is_encoder_decoder", False):
        # T5-style: only the encoder stack is wanted (TDG uses T5EncoderModel).
        name = type(config).__name__.replace("Config", "EncoderModel")
        cls = getattr(transformers, name, None)
        if cls is None:
            raise ConfigError(f"encoder-decoder model type '{config.model_type}' has no {name} in transformers")
        return cls
    return transformers.AutoModel


class RankerModel(nn.Module):
    def __init__(self, encoder: nn.Module, head: ResidualHead):
        super().__init__()
        self.encoder = encoder
        self.head = head

    @property
    def hidden_size(self) -> int:
        return self.head.dense1.in_features

    def max_length(self, wanted: int) -> int:
        """`wanted`, capped at the encoder's absolute position table (T5's relative positions have none)."""
        limit = getattr(self.encoder.config, "max_position_embeddings", None)
        return min(wanted, int(limit)) if limit else wanted

    def pooled(self, input_ids: torch.Tensor, attention_mask: torch.Tensor, rationale_mask: torch.Tensor,
               token_type_ids: torch.Tensor | None = None) -> torch.Tensor:
        kw = {"input_ids": input_ids, "attention_mask": attention_mask}
        if token_type_ids is not None:
            kw["token_type_ids"] = token_type_ids
        hidden = self.encoder(**kw).last_hidden_state
        return masked_mean(hidden.float(), rationale_mask)

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor, rationale_mask: torch.Tensor,
                token_type_ids: torch.Tensor | None = None) -> torch.Tensor:
        return self.head(self.pooled(input_ids, attention_mask, rationale_mask, token_type_ids))

    @classmethod
    def from_encoder(cls, encoder_path: str, seed: int = 0) -> RankerModel:
        """A fresh head on a pretrained encoder (local dir or Hub id)."""
        from transformers import AutoConfig

        config = AutoConfig.from_pretrained(encoder_path)
        encoder = _encoder_class(config).from_pretrained(encoder_path)
        hidden = getattr(config, "hidden_size", None) or getattr(config, "d_model", None)
        if not hidden:
            raise ConfigError(f"{encoder_path}: cannot tell the encoder's hidden size from its config")
        torch.manual_seed(seed)
        return cls(encoder, ResidualHead(int(hidden)))

    def save(self, out_dir: str | Path, tokenizer: Any, info: dict[str, Any]) -> None:
        from safetensors.torch import save_file

        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        self.encoder.save_pretrained(out / ENCODER_DIR)
        tokenizer.save_pretrained(out / ENCODER_DIR)
        save_file({k: v.detach().contiguous().cpu() for k, v in self.head.state_dict().items()}, out / HEAD_FILE)
        meta = {"format": FORMAT, "hidden_size": self.hidden_size, **info}
        (out / RANKER_FILE).write_text(json.dumps(meta, indent=1))

    @classmethod
    def load(cls, model_dir: str | Path) -> tuple[RankerModel, Any, dict[str, Any]]:
        """(model, tokenizer, ranker.json) from a directory written by `save`."""
        from safetensors.torch import load_file
        from transformers import AutoConfig, AutoTokenizer

        d = Path(model_dir)
        meta = read_info(d)
        enc_dir = d / ENCODER_DIR
        config = AutoConfig.from_pretrained(enc_dir)
        encoder = _encoder_class(config).from_pretrained(enc_dir)
        head = ResidualHead(int(meta["hidden_size"]))
        head.load_state_dict(load_file(d / HEAD_FILE))
        return cls(encoder, head), AutoTokenizer.from_pretrained(enc_dir), meta


def read_info(model_dir: str | Path) -> dict[str, Any]:
    p = Path(model_dir) / RANKER_FILE
    try:
        meta = json.loads(p.read_text())
    except (OSError, json.JSONDecodeError) as e:
        raise ConfigError(f"{p}: not a readable ranker description ({e})") from None
    if meta.get("format") != FORMAT:
        raise ConfigError(f"{p}: unknown ranker format {meta.get('format')!r} (expected {FORMAT})")
    return meta
