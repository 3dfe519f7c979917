"""`mathdistill train --method ranker`: fit TDG's ranker on curated positive/negative groups.

Each step takes `per_device_train_batch_size` questions and one seeded (positive, negative)
draw per question; loss (1 - s+)^gamma + (s-)^gamma. After every epoch the pairwise accuracy
on held-out questions is measured, a checkpoint is written, and the best epoch is what ends up
in output_dir. Rerunning the same command resumes from the last epoch checkpoint, or returns
the summary of a finished run.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from mathdistill.errors import ConfigError, MathdistillError
from mathdistill.io.atomic import write_json_atomic
from mathdistill.ranker.data import fingerprint, pairwise_accuracy, read_groups, split_groups

# TDG's optimiser (methods.md 3.6). TrainConfig's weight_decay default (0.0) is the LM's; for the
# ranker it means "TDG's value".
RANKER_WEIGHT_DECAY = 1e-5
LR_FLOOR = 0.02


def lr_multiplier(epoch: int, n_epochs: int) -> float:
    """m(e) = 0.02 + 0.98 (1 + cos(pi e / E)) / 2, for 0-based epoch e."""
    return LR_FLOOR + (1 - LR_FLOOR) * (1 + math.cos(math.pi * epoch / n_epochs)) / 2


def train_key(cfg: Any) -> dict[str, Any]:
    """Settings that change the result: a checkpoint or finished run made with others is not reused."""
    return {"model": cfg.model, "learning_rate": cfg.learning_rate, "num_train_epochs": cfg.num_train_epochs,
            "max_steps": cfg.max_steps, "batch_size": cfg.per_device_train_batch_size, "seed": cfg.seed,
            "weight_decay": weight_decay(cfg), "max_grad_norm": cfg.max_grad_norm, "gamma": cfg.ranker.gamma,
            "val_questions": cfg.ranker.val_questions, "max_length": cfg.ranker.max_length}


def weight_decay(cfg: Any) -> float:
    return cfg.weight_decay if cfg.weight_decay else RANKER_WEIGHT_DECAY


def same_data(old: Any, new: dict[str, str]) -> bool:
    """Same file contents (the paths may be spelled differently, e.g. relative vs absolute)."""
    return isinstance(old, dict) and sorted(old.values()) == sorted(new.values())


def _optimizer(model: Any, cfg: Any) -> Any:
    import torch

    decay, no_decay = [], []
    for name, p in model.named_parameters():
        # Biases and norm weights (all 1-d) are not decayed.
        (no_decay if p.ndim < 2 or "norm" in name.lower() else decay).append(p)
    groups = [{"params": decay, "weight_decay": weight_decay(cfg)}, {"params": no_decay, "weight_decay": 0.0}]
    return torch.optim.AdamW(groups, lr=cfg.learning_rate)


def _schedule(n_train: int, cfg: Any) -> tuple[int, int, int]:
    """(steps per epoch, total steps, epochs)."""
    spe = math.ceil(n_train / cfg.per_device_train_batch_size)
    total = cfg.max_steps if cfg.max_steps > 0 else max(1, round(cfg.num_train_epochs * spe))
    return spe, total, math.ceil(total / spe)


def validate(model: Any, tokenizer: Any, groups: list, gamma: float, max_length: int) -> dict[str, float | None]:
    """Mean over held-out questions of the share of (r+, r-) pairs ranked right, and the mean loss."""
    from mathdistill.ranker.scorer import score_pairs_with

    if not groups:
        return {"val_pairwise_accuracy": None, "val_loss": None}
    pairs = [(g.question, r) for g in groups for r in (*g.positives, *g.negatives)]
    scores = score_pairs_with(model, tokenizer, pairs, max_length)
    accs, losses, i = [], [], 0
    for g in groups:
        pos = scores[i:i + len(g.positives)]
        neg = scores[i + len(g.positives):i + len(g.positives) + len(g.negatives)]
        i += len(g.positives) + len(g.negatives)
        accs.append(pairwise_accuracy(pos, neg))
        losses.append(sum((1 - p) ** gamma + n ** gamma for p in pos for n in neg) / (len(pos) * len(neg)))
    return {"val_pairwise_accuracy": sum(accs) / len(accs), "val_loss": sum(losses) / len(losses)}


def _best(epochs: list[dict[str, Any]]) -> int:
    """1-based best epoch: highest validation accuracy, then lowest validation loss, then earliest."""
    if not epochs or epochs[0]["val_pairwise_accuracy"] is None:
        return len(epochs)
    return max(epochs, key=lambda e: (e["val_pairwise_accuracy"], -e["val_loss"], -e["epoch"]))["epoch"]


def train_ranker(cfg: Any, progress: bool = True) -> dict[str, Any]:
    from mathdistill.ranker import checkpoint as ck
    from mathdistill.ranker import resolve_encoder
    from mathdistill.training import MANIFEST, read_manifest

    if cfg.method != "ranker":
        raise ConfigError(f"train_ranker needs method 'ranker', got '{cfg.method}'")
    if not cfg.data:
        raise ConfigError("--method ranker needs --data GROUPS.jsonl (curation's ranker groups)")
    groups, skipped = read_groups(cfg.data)  # validates every line before any model is loaded
    fp, key = fingerprint(cfg.data), train_key(cfg)
    out = Path(cfg.output_dir)
    done = read_manifest(out)
    if done and done.get("status") == "complete":
        if done.get("train_key") == key and same_data(done.get("data_fingerprint"), fp):
            return {**done, "skipped": True}
        raise ConfigError(f"{out} holds a finished ranker trained with other settings or data; "
                          "use a new --output-dir")
    train, val = split_groups(groups, cfg.ranker.val_questions, cfg.seed)
    spe, total, n_epochs = _schedule(len(train), cfg)
    encoder = resolve_encoder(cfg.model)
    out.mkdir(parents=True, exist_ok=True)
    summary: dict[str, Any] = {
        "status": "running", "method": "ranker", "encoder": cfg.model, "encoder_resolved": encoder,
        "train_key": key, "data_fingerprint": fp, "n_groups": len(groups), "n_skipped_groups": skipped,
        "n_train_questions": len(train), "n_val_questions": len(val), "steps_per_epoch": spe,
        "total_steps": total, "num_epochs": n_epochs, "weight_decay": weight_decay(cfg),
    }
    resume = _resume_point(out, cfg, key, fp)
    from mathdistill.ranker.loop import run_epochs

    epochs = run_epochs(cfg, out, encoder, train, val, resume, summary, progress=progress)
    best = _best(epochs)
    best_ckpt = dict(ck.list_checkpoints(out)).get(best)
    if best_ckpt is None:
        raise MathdistillError(f"{out}: checkpoint of best epoch {best} is missing; rerun with "
                               "--resume-from-checkpoint none")
    ck.install_model(best_ckpt, out)
    from mathdistill.runinfo import run_metadata

    summary.update({
        "status": "complete", "epochs": epochs, "best_epoch": best,
        "best_val_pairwise_accuracy": epochs[best - 1]["val_pairwise_accuracy"],
        "val_pairwise_accuracy": [e["val_pairwise_accuracy"] for e in epochs],
        "train_loss": epochs[-1]["train_loss"], "steps": sum(e["steps"] for e in epochs),
        "run_metadata": run_metadata(config=cfg, seeds={"seed": cfg.seed}, extra={"method": "ranker"}),
    })
    write_json_atomic(out / MANIFEST, summary)
    ck.clear_checkpoints(out)
    return summary


def _resume_point(out: Path, cfg: Any, key: dict, fp: dict) -> Path | None:
    """The checkpoint to continue from (None: start fresh), following cfg.resume_from_checkpoint."""
    from mathdistill.ranker import checkpoint as ck

    how = cfg.resume_from_checkpoint
    if how is not None and str(how).lower() == "none":
        ck.clear_checkpoints(out)
        return None
    if how not in (None, "auto"):
        p = Path(how)
        if not (p / ck.STATE_FILE).is_file():
            raise ConfigError(f"--resume-from-checkpoint {p}: not a ranker checkpoint (no {ck.STATE_FILE})")
        return p
    found = ck.list_checkpoints(out)
    ckpt = found[-1][1] if found else None
    mid = ck.step_checkpoint(out)
    done = sum(e["steps"] for e in ck.read_state(ckpt)["epochs"]) if ckpt else 0
    if mid is not None and mid[0] > done:  # killed mid-epoch after a step checkpoint
        ckpt = mid[1]
    if ckpt is None:
        return None
    st = ck.read_state(ckpt)
    if st.get("train_key") != key or not same_data(st.get("data_fingerprint"), fp):
        raise ConfigError(f"{ckpt} was written with other settings or data; use a new --output-dir "
                          "or --resume-from-checkpoint none")
    return ckpt
