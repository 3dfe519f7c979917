"""`run(cfg)`: dispatch a TrainConfig to its method and keep the output folder resumable.

MLE family (sft, neg, mix, nt, ul) runs on WeightedLossTrainer; dpo/kto on TRL; nat/nce
and the ranker have their own modules built on the same pieces. Rerunning the same
command after a kill resumes from the newest complete checkpoint; a finished folder is
returned as is.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from mathdistill.training import is_complete, read_manifest
from mathdistill.training.config import TrainConfig


def _say(msg: str) -> None:
    from rich.console import Console

    Console(stderr=True).print(msg, highlight=False)


def run(cfg: TrainConfig, progress: bool = True) -> dict[str, Any]:
    out = Path(cfg.output_dir)
    if is_complete(out):
        if cfg.method != "ranker":  # the ranker checks its own settings
            from mathdistill.training.data import fingerprint
            from mathdistill.training.manifest import check_guard

            # A finished folder is only reused for the same config and data; otherwise a clear refusal.
            check_guard(cfg, fingerprint([str(p) for p in [*cfg.data, *cfg.negatives]]))
        _say(f"train: {out} is complete (delete it to retrain)")
        return read_manifest(out) or {}
    if cfg.method == "ranker":
        from mathdistill.ranker.train import train_ranker

        return train_ranker(cfg)
    if cfg.method in ("dpo", "kto"):
        from mathdistill.training.prefs import train_pref

        return train_pref(cfg, progress)
    if cfg.method == "nat":
        from mathdistill.training.nat_train import train_nat

        return train_nat(cfg, progress)
    if cfg.method == "nce":
        from mathdistill.training.nce import train_nce

        return train_nce(cfg, progress)
    return train_mle(cfg, progress)


def student_path(name: str) -> str:
    """A PEFT adapter as the student is merged first (once, cached): we train on its merged weights."""
    from mathdistill.eval.model_prep import prepare_model

    return prepare_model(name, "hf")


class ListDataset:
    def __init__(self, items: list[dict[str, Any]]):
        self.items = items

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, i: int) -> dict[str, Any]:
        return self.items[i]


def features(examples: list[Any]) -> ListDataset:
    return ListDataset([{"input_ids": e.input_ids, "labels": e.labels, "negative": e.negative} for e in examples])


def fit(trainer: Any, cfg: TrainConfig) -> tuple[Any, str | None, float]:
    from mathdistill.training.trainer import resume_point

    ckpt = resume_point(cfg)
    if ckpt:
        _say(f"train: resuming from {ckpt}")
    t0 = time.perf_counter()
    result = trainer.train(resume_from_checkpoint=ckpt)
    return result, ckpt, time.perf_counter() - t0


def finish(trainer: Any, tok: Any, cfg: TrainConfig, model: Any, **fields: Any) -> dict[str, Any]:
    """Final weights + tokenizer + trainer_state.json + manifest (last, so it marks completion)."""
    from mathdistill.training.manifest import portable_adapter_config, write_manifest

    out = Path(cfg.output_dir)
    trainer.save_model(str(out))  # gathers ZeRO-3 shards; writes on the main process only
    if not trainer.is_world_process_zero():
        return {"status": "complete", "method": cfg.method, "rank": trainer.args.process_index}
    tok.save_pretrained(str(out))
    trainer.state.save_to_json(str(out / "trainer_state.json"))
    portable_adapter_config(out, cfg.model)
    merged = None
    if cfg.merge and hasattr(model, "merge_and_unload"):
        merged = str(out / "merged")
        m = model.merge_and_unload()
        m.save_pretrained(merged)
        tok.save_pretrained(merged)
    fields.setdefault("attn_implementation", getattr(model.config, "_attn_implementation", None))
    doc = write_manifest(out, cfg, merged=merged, world_size=trainer.args.world_size, **fields)
    _say(f"train: wrote {out}")
    return doc


def prepare_data(cfg: TrainConfig) -> tuple[str, Any, list[Any], Any]:
    """(student path, tokenizer, examples, stats); guards the output folder and seeds everything."""
    from mathdistill._optional import require

    transformers = require("transformers", "train")
    from mathdistill.training.data import load_examples
    from mathdistill.training.manifest import check_guard
    from mathdistill.training.model import load_tokenizer

    path = student_path(cfg.model)
    tok = load_tokenizer(path)
    examples, stats, _ = load_examples(cfg, tok)
    _report_data(stats, cfg)
    check_guard(cfg, stats.fingerprint)
    transformers.set_seed(cfg.seed)
    return path, tok, examples, stats


def build_mle(cfg: TrainConfig, progress: bool = True) -> dict[str, Any]:
    """Everything train_mle needs, built but not run (tests inspect the pieces)."""
    from mathdistill._optional import require

    transformers = require("transformers", "train")
    from mathdistill.training.collate import Collator
    from mathdistill.training.model import load_student, precision
    from mathdistill.training.trainer import WeightedLossTrainer, make_args, training_arguments

    path, tok, examples, stats = prepare_data(cfg)
    model = load_student(cfg, path)
    _, bf16 = precision(cfg)
    args = make_args(transformers.TrainingArguments, training_arguments(cfg, bf16, progress))
    trainer = WeightedLossTrainer(model=model, args=args, train_dataset=features(examples), processing_class=tok,
                                  data_collator=Collator(tok.pad_token_id, cfg.packing, cfg.method, cfg.neg_lambda))
    return {"trainer": trainer, "model": model, "tok": tok, "stats": stats, "path": path}


def train_mle(cfg: TrainConfig, progress: bool) -> dict[str, Any]:
    from mathdistill.training.manifest import prompt_block
    from mathdistill.training.model import count_parameters

    b = build_mle(cfg, progress)
    trainer, model, stats = b["trainer"], b["model"], b["stats"]
    params = count_parameters(model)
    _say(f"train: {cfg.method} on {b['path']}: {stats.positives} positive / {stats.negatives} negative examples, "
         f"{params['trainable']:,} of {params['total']:,} parameters trainable")
    result, resumed, secs = fit(trainer, cfg)
    return finish(trainer, b["tok"], cfg, model, base_model=cfg.model, base_model_resolved=b["path"],
                  adapter=cfg.lora.r > 0, prompt=prompt_block(cfg, stats.formats[0]), data=stats.to_dict(),
                  parameters=params, resumed_from=resumed, metrics=_metrics(result, trainer, stats, secs))


def _metrics(result: Any, trainer: Any, stats: Any, secs: float) -> dict[str, Any]:
    hist = [h for h in trainer.state.log_history if "loss" in h]
    m = dict(result.metrics)
    m.update(global_step=trainer.state.global_step, first_loss=hist[0]["loss"] if hist else None,
             last_loss=hist[-1]["loss"] if hist else None, wall_s=round(secs, 2))
    return m


def _report_data(stats: Any, cfg: TrainConfig) -> None:
    notes = []
    if stats.dropped_too_long:
        notes.append(f"{stats.dropped_too_long} dropped (longer than max_length={cfg.max_length})")
    if stats.truncated:
        notes.append(f"{stats.truncated} truncated to max_length={cfg.max_length}")
    if stats.prompt_too_long:
        notes.append(f"{stats.prompt_too_long} dropped (prompt alone fills max_length)")
    if stats.skipped_by_method:
        notes.append(f"{stats.skipped_by_method} rows not used by --method {cfg.method}")
    _say(f"train: {stats.rows} rows from {', '.join(stats.files)}" + (f"; {'; '.join(notes)}" if notes else ""))
