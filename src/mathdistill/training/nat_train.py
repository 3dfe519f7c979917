"""`--method nat`: train the positive LoRA + integration unit on positives, negative LoRA frozen."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from mathdistill.training.trainer import WeightedLossTrainer

log = logging.getLogger(__name__)


class NATTrainer(WeightedLossTrainer):
    """Checkpoints hold only the NAT tensors (both adapters + unit), not the frozen base."""

    def __init__(self, *args: Any, nat_config: dict[str, Any], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.nat_config = nat_config

    def _save(self, output_dir: str | None = None, state_dict: Any = None) -> None:
        from mathdistill.models.nat import save_nat

        save_nat(self.model, output_dir or self.args.output_dir, self.nat_config)

    def _load_from_checkpoint(self, resume_from_checkpoint: str, model: Any = None) -> None:
        from mathdistill.models.nat import load_nat_weights

        load_nat_weights(self.model, resume_from_checkpoint)

    def log(self, logs: dict[str, float], start_time: float | None = None) -> None:
        from mathdistill.models.nat import mean_alpha_neg

        a = mean_alpha_neg(self.model)
        if a is not None and "loss" in logs:
            logs["alpha_neg"] = round(a, 5)  # mean over wrapped layers of the last batch
        super().log(logs, start_time)


def train_nat(cfg: Any, method: Any, progress: bool) -> dict[str, Any]:
    from mathdistill._optional import require

    transformers = require("transformers", "train")
    from mathdistill.errors import MathdistillError
    from mathdistill.models.nat import adapter_settings, build_nat, load_negative_adapter
    from mathdistill.training.collate import Collator
    from mathdistill.training.manifest import prompt_block
    from mathdistill.training.model import count_parameters, precision, student_attention
    from mathdistill.training.steps import features, finish, fit, metrics, prepare_data
    from mathdistill.training.trainer import make_args, training_arguments

    neg_dir = Path(cfg.nat.negative_adapter or "")
    if not (neg_dir / "adapter_config.json").exists():
        raise MathdistillError(f"--negative-adapter {neg_dir}: not a LoRA adapter folder (train it with "
                               "--method neg)")
    neg = adapter_settings(neg_dir)
    path, tok, examples, stats, _ = prepare_data(cfg, method)
    config = {"base_model": cfg.model, "target_modules": neg["target_modules"], "r": neg["r"],
              "lora_alpha": neg["lora_alpha"], "lora_dropout": cfg.lora.lora_dropout,
              "bottleneck": cfg.nat.bottleneck, "beta": cfg.nat.beta, "temperature": cfg.nat.temperature,
              "negative_adapter": str(neg_dir.resolve())}
    dtype, bf16 = precision(cfg)
    model = build_nat(path, config, dtype, student_attention(cfg))
    n = load_negative_adapter(model, neg_dir)
    if cfg.gradient_checkpointing:
        model.config.use_cache = False
        model.enable_input_require_grads()
    args = make_args(transformers.TrainingArguments, training_arguments(cfg, bf16, progress))
    trainer = NATTrainer(nat_config=config, model=model, args=args, train_dataset=features(examples),
                         processing_class=tok,
                         data_collator=Collator(tok.pad_token_id, cfg.packing))
    params = count_parameters(model)
    log.info("train: nat on %s: %s wrapped layers (%s), %s trainable parameters of %s", path, n,
             ", ".join(config["target_modules"]), f"{params['trainable']:,}", f"{params['total']:,}")
    result, resumed, secs = fit(trainer, cfg)
    alphas = [h["alpha_neg"] for h in trainer.state.log_history if "alpha_neg" in h]
    return finish(trainer, tok, cfg, model, base_model=cfg.model, base_model_resolved=path, adapter=False, nat=config,
                  prompt=prompt_block(cfg, stats.formats[0]), data=stats.to_dict(), parameters=params,
                  resumed_from=resumed, alpha_neg_last=alphas[-1] if alphas else None,
                  metrics=metrics(result, trainer, secs))
