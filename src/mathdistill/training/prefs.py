"""DPO and KTO through TRL on curation's pairs.jsonl / kto.jsonl.

We only validate rows (file:line:field errors, like every other stage), pick precision
and LoRA the same way as the MLE methods, and hand the rest to TRL's trainers. With LoRA
the reference model is the adapter-disabled base (TRL's default for PEFT models), so no
second copy of the weights is held.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mathdistill._optional import require
from mathdistill.errors import DataError, MathdistillError
from mathdistill.io.jsonl import read_jsonl
from mathdistill.training.config import TrainConfig
from mathdistill.training.data import DataStats, fingerprint

FIELDS = {"dpo": ("prompt", "chosen", "rejected"), "kto": ("prompt", "completion", "label")}


def read_pref_rows(paths: list[str], method: str) -> list[dict[str, Any]]:
    fields = FIELDS[method]
    rows = []
    for path in paths:
        n = 0
        for lineno, d in read_jsonl(path):
            row = {}
            for f in fields:
                v = d.get(f)
                if v is None:
                    raise DataError(path, lineno, f, f"missing required field (a {method} row needs {', '.join(fields)})")
                if f == "label":
                    if not isinstance(v, bool):
                        raise DataError(path, lineno, f, f"expected true/false, got {v!r}")
                elif not isinstance(v, str) or not v.strip():
                    raise DataError(path, lineno, f, "expected a non-empty string")
                row[f] = v
            rows.append(row)
            n += 1
        if n == 0:
            raise DataError(path, None, None, "no training rows (empty file)")
    if method == "kto" and len({r["label"] for r in rows}) < 2:
        raise MathdistillError(f"{', '.join(paths)}: KTO needs both desirable (label true) and undesirable rows")
    return rows


def train_pref(cfg: TrainConfig, progress: bool) -> dict[str, Any]:
    trl = require("trl", "train")
    datasets = require("datasets", "train")
    transformers = require("transformers", "train")
    from mathdistill.training.api import finish, fit, student_path
    from mathdistill.training.manifest import check_guard, prompt_block
    from mathdistill.training.model import (
        check_targets,
        count_parameters,
        load_base,
        load_tokenizer,
        lora_config,
        precision,
    )
    from mathdistill.training.trainer import make_args, training_arguments

    if not cfg.data:
        raise MathdistillError(f"no training data: give --data FILE.jsonl ({'pairs' if cfg.method == 'dpo' else 'kto'}"
                               ".jsonl from mathdistill curate)")
    for p in cfg.data:
        if not Path(p).exists():
            raise DataError(p, None, None, "file not found")
    rows = read_pref_rows(list(cfg.data), cfg.method)
    stats = DataStats(files=list(cfg.data), fingerprint=fingerprint(list(cfg.data)), rows=len(rows),
                      formats=["plain"])
    check_guard(cfg, stats.fingerprint)
    path = student_path(cfg.model)
    tok = load_tokenizer(path)
    transformers.set_seed(cfg.seed)
    dtype, bf16 = precision(cfg)
    import torch

    model = load_base(path, dtype if cfg.lora.r > 0 else torch.float32)
    peft_config = None
    if cfg.lora.r > 0:
        check_targets(model, cfg.lora.target_modules, path)
        peft_config = lora_config(cfg)
    kw = training_arguments(cfg, bf16, progress, max_length=cfg.max_length, beta=cfg.pref.beta)
    if cfg.method == "dpo":
        kw["loss_type"] = cfg.pref.loss_type
        args = make_args(trl.DPOConfig, kw)
        cls = trl.DPOTrainer
    else:
        kw.update(desirable_weight=cfg.pref.desirable_weight, undesirable_weight=cfg.pref.undesirable_weight)
        args = make_args(trl.KTOConfig, kw)
        cls = trl.KTOTrainer
    trainer = cls(model=model, args=args, train_dataset=datasets.Dataset.from_list(rows), processing_class=tok,
                  peft_config=peft_config)
    result, resumed, secs = fit(trainer, cfg)
    hist = [h for h in trainer.state.log_history if "loss" in h]
    metrics = {**result.metrics, "global_step": trainer.state.global_step, "wall_s": round(secs, 2),
               "first_loss": hist[0]["loss"] if hist else None, "last_loss": hist[-1]["loss"] if hist else None}
    return finish(trainer, tok, cfg, trainer.model, base_model=cfg.model, base_model_resolved=path,
                  adapter=cfg.lora.r > 0, prompt=prompt_block(cfg, "plain"), data=stats.to_dict(),
                  parameters=count_parameters(trainer.model), resumed_from=resumed, metrics=metrics)
