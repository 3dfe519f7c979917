"""`--method opd`: on-policy distillation through TRL's `DistillationTrainer` (docs/distillation.md).

The student completes the prompts of the training rows itself (one completion per prompt per step,
at `opd.temperature`, up to `opd.max_new_tokens` tokens); the teacher, a local model, scores every
generated token, and the loss is TRL's generalised JSD between the two next-token distributions over
the whole vocabulary (`opd.beta`: 0 forward KL, 0.5 JSD, 1 reverse KL, the default: Agarwal et al.,
"On-Policy Distillation of Language Models"). The prompts are those SFT and kd train on (the same
rows, after the same filters), rendered the same way, so the three methods see the same problems.

Ours: the config, the data rules and guard, precision and LoRA, checkpoints and resume (training.steps),
the manifest. TRL's: generation, the teacher's scoring and the loss. A teacher whose vocabulary is not
the student's is refused (tokenizer vocabularies compared, not names).
"""

from __future__ import annotations

import logging
from typing import Any

from mathdistill._optional import require
from mathdistill.errors import MathdistillError

log = logging.getLogger(__name__)


def load_opd_teacher(cfg: Any, student_tok: Any, dtype: Any) -> tuple[Any, str]:
    """(the frozen teacher model, its resolved path), refused when its vocabulary is not the student's."""
    from mathdistill.models.loading import load_base, load_tokenizer
    from mathdistill.models.manifest import is_nat_dir
    from mathdistill.store.logprobs import tokenizer_vocab
    from mathdistill.training.steps import student_path

    name = str(cfg.opd.teacher)
    path = student_path(name)
    if is_nat_dir(path):
        raise MathdistillError(f"--opd-teacher {name}: a NAT folder; the teacher must be a plain causal LM")
    t, s = tokenizer_vocab(load_tokenizer(path)), tokenizer_vocab(student_tok)
    if t != s:
        raise MathdistillError(
            f"--opd-teacher {name}: its vocabulary ({t['size']} tokens, digest {t['digest']}) is not the student's "
            f"({s['size']} tokens, digest {s['digest']}); on-policy distillation scores the student's tokens with the "
            "teacher, so both need one tokenizer")
    teacher = load_base(path, dtype)
    teacher.eval()
    for p in teacher.parameters():
        p.requires_grad_(False)
    return teacher, path


def build_opd(cfg: Any, method: Any, progress: bool = True) -> dict[str, Any]:
    """Everything train_opd needs, built but not run."""
    trl = require("trl", "train")
    datasets = require("datasets", "train")
    from mathdistill.models.loading import load_tokenizer
    from mathdistill.training.model import load_student, precision
    from mathdistill.training.steps import prepare_data
    from mathdistill.training.trainer import make_args, training_arguments

    if cfg.gradient_checkpointing is None:
        cfg.gradient_checkpointing = False  # the student generates inside training: checkpointing drops its KV cache
    path, tok, _, stats, rows = prepare_data(cfg, method)
    dtype, bf16 = precision(cfg)
    teacher, teacher_path = load_opd_teacher(cfg, tok, dtype)
    model = load_student(cfg, path)
    gen_tok = load_tokenizer(path)  # TRL generates from left-padded prompts; `tok` is saved as trained
    gen_tok.padding_side = "left"
    if gen_tok.pad_token is None:
        gen_tok.pad_token = gen_tok.eos_token
    kw = training_arguments(cfg, bf16, progress, max_completion_length=cfg.opd.max_new_tokens,
                            temperature=cfg.opd.temperature, beta=cfg.opd.beta, disable_dropout=True)
    args = make_args(trl.DistillationConfig, kw)
    dataset = datasets.Dataset.from_list([{"prompt": r.prompt} for r in rows])
    trainer = trl.DistillationTrainer(model=model, teacher_model=teacher, args=args, train_dataset=dataset,
                                      processing_class=gen_tok)
    return {"trainer": trainer, "model": model, "tok": tok, "stats": stats, "path": path,
            "teacher_path": teacher_path}


def train_opd(cfg: Any, method: Any, progress: bool) -> dict[str, Any]:
    from mathdistill.training.manifest import prompt_block
    from mathdistill.training.model import count_parameters
    from mathdistill.training.steps import finish, fit, metrics

    b = build_opd(cfg, method, progress)
    trainer, stats = b["trainer"], b["stats"]
    log.info("train: opd on %s: %s prompts, teacher %s (beta %s)", b["path"], stats.positives, cfg.opd.teacher,
             cfg.opd.beta)
    result, resumed, secs = fit(trainer, cfg)
    return finish(trainer, b["tok"], cfg, trainer.model, base_model=cfg.model, base_model_resolved=b["path"],
                  adapter=cfg.lora.r > 0, prompt=prompt_block(cfg, stats.formats[0]), data=stats.to_dict(),
                  parameters=count_parameters(trainer.model), resumed_from=resumed,
                  opd={"teacher": str(cfg.opd.teacher), "teacher_resolved": b["teacher_path"], "beta": cfg.opd.beta,
                       "temperature": cfg.opd.temperature, "max_new_tokens": cfg.opd.max_new_tokens},
                  metrics=metrics(result, trainer, secs))
