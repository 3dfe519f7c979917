"""The ranker's optimiser and schedule (TDG, methods.md 3.6): AdamW, per-epoch cosine lr with a floor."""

from __future__ import annotations

import math
from typing import Any

LR_FLOOR = 0.02


def lr_multiplier(epoch: int, n_epochs: int) -> float:
    """m(e) = 0.02 + 0.98 (1 + cos(pi e / E)) / 2, for 0-based epoch e."""
    return LR_FLOOR + (1 - LR_FLOOR) * (1 + math.cos(math.pi * epoch / n_epochs)) / 2


def weight_decay(cfg: Any) -> float:
    """TDG's 1e-5 is the ranker's default in the methods table (training.methods.TDG_RANKER)."""
    return float(cfg.weight_decay)


def make_optimizer(model: Any, cfg: Any) -> Any:
    import torch

    decay, no_decay = [], []
    for name, p in model.named_parameters():
        # Biases and norm weights (all 1-d) are not decayed.
        (no_decay if p.ndim < 2 or "norm" in name.lower() else decay).append(p)
    groups = [{"params": decay, "weight_decay": weight_decay(cfg)}, {"params": no_decay, "weight_decay": 0.0}]
    return torch.optim.AdamW(groups, lr=cfg.learning_rate)


def schedule(n_train: int, cfg: Any) -> tuple[int, int, int]:
    """(steps per epoch, total steps, epochs)."""
    spe = math.ceil(n_train / cfg.per_device_train_batch_size)
    total = cfg.max_steps if cfg.max_steps > 0 else max(1, round(cfg.num_train_epochs * spe))
    return spe, total, math.ceil(total / spe)
