"""Per-epoch ranker checkpoints and the final model directory.

Layout of output_dir (each checkpoint has the same model files plus optimizer/state):
  encoder/             save_pretrained of the encoder, and the tokenizer
  head.safetensors     the residual MLP head
  ranker.json          what the scorer needs (format, hidden size, max_length, base encoder)
  mathdistill_train.json  manifest: status, resolved config, data fingerprint, versions, per-epoch metrics
  checkpoints/epoch-N/ while training: model files + optimizer.pt + state.json (deleted when complete)
  checkpoints/step-N/  every save_steps steps inside an epoch (N = global step), plus rng.pt: a kill
                       mid-epoch resumes from there, not from the epoch's start; only the newest is kept

A checkpoint directory is written under a temporary name and renamed at the end, so a kill
leaves either a whole checkpoint or none.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

from mathdistill.ranker import RANKER_FILE
from mathdistill.ranker.model import ENCODER_DIR, HEAD_FILE

CKPT_DIR = "checkpoints"
STATE_FILE = "state.json"
OPTIM_FILE = "optimizer.pt"
RNG_FILE = "rng.pt"


def list_checkpoints(out: Path) -> list[tuple[int, Path]]:
    """Complete checkpoints, oldest first."""
    root = out / CKPT_DIR
    found = []
    for p in root.glob("epoch-*") if root.is_dir() else ():
        tail = p.name.removeprefix("epoch-")
        if tail.isdigit() and (p / STATE_FILE).is_file():
            found.append((int(tail), p))
    return sorted(found)


def step_checkpoint(out: Path) -> tuple[int, Path] | None:
    """The newest complete mid-epoch checkpoint (global step, path), if any."""
    root = out / CKPT_DIR
    found = [(int(p.name.removeprefix("step-")), p) for p in (root.glob("step-*") if root.is_dir() else ())
             if p.name.removeprefix("step-").isdigit() and (p / STATE_FILE).is_file()]
    return max(found) if found else None


def drop_step_checkpoints(out: Path, but: Path | None = None) -> None:
    root = out / CKPT_DIR
    for p in root.glob("step-*") if root.is_dir() else ():
        if p != but:
            shutil.rmtree(p, ignore_errors=True)


def save_step_checkpoint(out: Path, step: int, model: Any, tokenizer: Any, info: dict[str, Any], optimizer: Any,
                         state: dict[str, Any]) -> Path:
    """Write checkpoints/step-{step} (state carries the partial epoch) with the RNG; drop older step-*."""
    import torch

    final = _write(out, f"step-{step}", model, tokenizer, info, optimizer, state,
                   extra=lambda d: torch.save(torch.get_rng_state(), d / RNG_FILE))
    drop_step_checkpoints(out, but=final)
    return final


def _write(out: Path, name: str, model: Any, tokenizer: Any, info: dict[str, Any], optimizer: Any,
           state: dict[str, Any], extra: Any = None) -> Path:
    import torch

    root = out / CKPT_DIR
    final, tmp = root / name, root / f".{name}.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    model.save(tmp, tokenizer, info)
    torch.save(optimizer.state_dict(), tmp / OPTIM_FILE)
    if extra is not None:
        extra(tmp)
    (tmp / STATE_FILE).write_text(json.dumps(state, indent=1))
    shutil.rmtree(final, ignore_errors=True)
    os.replace(tmp, final)
    return final


def read_state(ckpt: Path) -> dict[str, Any]:
    return json.loads((ckpt / STATE_FILE).read_text())


def save_checkpoint(out: Path, epoch: int, model: Any, tokenizer: Any, info: dict[str, Any], optimizer: Any,
                    state: dict[str, Any], keep: set[int]) -> Path:
    """Write checkpoints/epoch-{epoch}; then drop the ones not in `keep` (the best and this one)."""
    final = _write(out, f"epoch-{epoch}", model, tokenizer, info, optimizer, state)
    drop_step_checkpoints(out)  # older than this epoch's end
    for e, p in list_checkpoints(out):
        if e not in keep | {epoch}:
            shutil.rmtree(p, ignore_errors=True)
    return final


def clear_checkpoints(out: Path) -> None:
    shutil.rmtree(out / CKPT_DIR, ignore_errors=True)


def install_model(ckpt: Path, out: Path) -> None:
    """Copy a checkpoint's model files (not its optimizer) to the top of output_dir."""
    for name in (ENCODER_DIR, HEAD_FILE, RANKER_FILE):
        src, dst = ckpt / name, out / name
        tmp = out / f".{name}.tmp"
        if tmp.is_dir():
            shutil.rmtree(tmp)
        if src.is_dir():
            shutil.copytree(src, tmp)
            if dst.exists():
                shutil.rmtree(dst)
        else:
            shutil.copyfile(src, tmp)
        os.replace(tmp, dst)
