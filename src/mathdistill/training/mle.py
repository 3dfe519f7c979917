"""The MLE family (sft, neg, mix, nt, ul): one weighted token loss on our Trainer.

The methods differ only in their table row: which rows they learn from, the (CE, unlikelihood)
weights of a negative example's tokens and how the loss is normalised (training.collate).
"""

from __future__ import annotations

import logging
from typing import Any

log = logging.getLogger(__name__)


def build_mle(cfg: Any, method: Any, progress: bool = True) -> dict[str, Any]:
    """Everything train_mle needs, built but not run (tests inspect the pieces)."""
    from mathdistill._optional import require

    transformers = require("transformers", "train")
    from mathdistill.training.collate import POSITIVE_WEIGHTS, Collator
    from mathdistill.training.model import load_student, precision, use_liger
    from mathdistill.training.steps import features, prepare_data
    from mathdistill.training.trainer import WeightedLossTrainer, make_args, training_arguments

    path, tok, examples, stats, _ = prepare_data(cfg, method)
    model = load_student(cfg, path)
    _, bf16 = precision(cfg)
    args = make_args(transformers.TrainingArguments, training_arguments(cfg, bf16, progress))
    weights = method.negative_weights(cfg.neg_lambda)
    liger = use_liger(cfg, model, plain_ce=method.normalize == "joint" and tuple(weights) == POSITIVE_WEIGHTS)
    collator = Collator(tok.pad_token_id, cfg.packing, weights)
    trainer = WeightedLossTrainer(model=model, args=args, train_dataset=features(examples), processing_class=tok,
                                  data_collator=collator, normalize=method.normalize, ul_level=cfg.ul_level,
                                  liger=liger)
    return {"trainer": trainer, "model": model, "tok": tok, "stats": stats, "path": path}


def train_mle(cfg: Any, method: Any, progress: bool) -> dict[str, Any]:
    from mathdistill.training.manifest import prompt_block
    from mathdistill.training.model import count_parameters
    from mathdistill.training.steps import finish, fit, metrics

    b = build_mle(cfg, method, progress)
    trainer, model, stats = b["trainer"], b["model"], b["stats"]
    params = count_parameters(model)
    log.info("train: %s on %s: %s positive / %s negative examples, %s of %s parameters trainable", cfg.method,
             b["path"], stats.positives, stats.negatives, f"{params['trainable']:,}", f"{params['total']:,}")
    result, resumed, secs = fit(trainer, cfg)
    return finish(trainer, b["tok"], cfg, model, base_model=cfg.model, base_model_resolved=b["path"],
                  adapter=cfg.lora.r > 0, prompt=prompt_block(cfg, stats.formats[0]), data=stats.to_dict(),
                  parameters=params, resumed_from=resumed, metrics=metrics(result, trainer, secs))
