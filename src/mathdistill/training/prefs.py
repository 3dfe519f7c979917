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
from mathdistill.io.fingerprint import files_fingerprint
from mathdistill.io.jsonl import read_jsonl
from mathdistill.training.data import DataStats

DPO_FIELDS = ("prompt", "chosen", "rejected")
KTO_FIELDS = ("prompt", "completion", "label")


def read_pref_rows(paths: list[str], fields: tuple[str, ...], kind: str) -> list[dict[str, Any]]:
    """Validated rows with `fields` (a `label` field makes them KTO rows, which need both labels)."""
    rows = []
    for path in paths:
        n = 0
        for lineno, d in read_jsonl(path):
            row = {}
            for f in fields:
                v = d.get(f)
                if v is None:
                    raise DataError(path, lineno, f, f"missing required field (a {kind} row needs {', '.join(fields)})")
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
    if "label" in fields and len({r["label"] for r in rows}) < 2:
        raise MathdistillError(f"{', '.join(paths)}: KTO needs both desirable (label true) and undesirable rows")
    return rows


def train_dpo(cfg: Any, progress: bool) -> dict[str, Any]:
    def trainer(trl: Any, kw: dict[str, Any]) -> tuple[Any, Any]:
        from mathdistill.training.trainer import make_args

        return make_args(trl.DPOConfig, {**kw, "loss_type": cfg.pref.loss_type}), trl.DPOTrainer

    return _train_pref(cfg, progress, DPO_FIELDS, "dpo", "pairs.jsonl", trainer)


def train_kto(cfg: Any, progress: bool) -> dict[str, Any]:
    def trainer(trl: Any, kw: dict[str, Any]) -> tuple[Any, Any]:
        from mathdistill.training.trainer import make_args

        kw = {**kw, "desirable_weight": cfg.pref.desirable_weight, "undesirable_weight": cfg.pref.undesirable_weight}
        return make_args(trl.KTOConfig, kw), trl.KTOTrainer

    return _train_pref(cfg, progress, KTO_FIELDS, "kto", "kto.jsonl", trainer)


def _train_pref(cfg: Any, progress: bool, fields: tuple[str, ...], kind: str, curated: str,
                trainer_for: Any) -> dict[str, Any]:
    trl = require("trl", "train")
    datasets = require("datasets", "train")
    transformers = require("transformers", "train")
    from mathdistill.models.loading import load_base, load_tokenizer
    from mathdistill.training.manifest import check_guard, prompt_block
    from mathdistill.training.model import check_targets, count_parameters, lora_config, precision
    from mathdistill.training.steps import finish, fit, student_path
    from mathdistill.training.trainer import training_arguments

    if not cfg.data:
        raise MathdistillError(f"no training data: give --data FILE.jsonl ({curated} from mathdistill curate)")
    for p in cfg.data:
        if not Path(p).exists():
            raise DataError(p, None, None, "file not found")
    rows = read_pref_rows(list(cfg.data), fields, kind)
    stats = DataStats(files=list(cfg.data), fingerprint=files_fingerprint(list(cfg.data)), rows=len(rows),
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
    args, cls = trainer_for(trl, training_arguments(cfg, bf16, progress, max_length=cfg.max_length,
                                                    beta=cfg.pref.beta))
    trainer = cls(model=model, args=args, train_dataset=datasets.Dataset.from_list(rows), processing_class=tok,
                  peft_config=peft_config)
    result, resumed, secs = fit(trainer, cfg)
    hist = [h for h in trainer.state.log_history if "loss" in h]
    metrics = {**result.metrics, "global_step": trainer.state.global_step, "wall_s": round(secs, 2),
               "first_loss": hist[0]["loss"] if hist else None, "last_loss": hist[-1]["loss"] if hist else None}
    return finish(trainer, tok, cfg, trainer.model, base_model=cfg.model, base_model_resolved=path,
                  adapter=cfg.lora.r > 0, prompt=prompt_block(cfg, "plain"), data=stats.to_dict(),
                  parameters=count_parameters(trainer.model), resumed_from=resumed, metrics=metrics)
