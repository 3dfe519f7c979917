"""`--method nce`: Negative Calibrated Enhancement (TDG, methods.md 3.5 and 4.16).

The frozen NAT teacher is queried twice per batch under no_grad: in "mix" mode (p_T, the
distillation target) and in "neg" mode (p_N, base + LoRA-neg). Each sequence gets the
weight 0.5 + tanh(mean_t KL(p_N || p_T)) -- sequences where the negative model and NAT
disagree carry the knowledge that separates right from wrong reasoning -- and

  L = (1 - lambda) CE(student) + lambda * tau^2 * sum_t w_seq(t) * CE(p_T, p_S,t) / |M|

with M the completion tokens of the (accumulated) batch. Unlike the TDG code, the teacher
really holds both adapters (load_nat is strict) and only completion tokens are scored.
"""

from __future__ import annotations

from typing import Any

from mathdistill._optional import require
from mathdistill.training.collate import pop_loss_inputs, segment_ids
from mathdistill.training.trainer import WeightedLossTrainer

torch = require("torch", "train")
F = torch.nn.functional
EPS = 1e-7


def sequence_weights(z_t: Any, z_n: Any, seg: Any, tau: float = 1.0) -> tuple[Any, Any]:
    """Per-token weight 0.5 + tanh(mean KL(p_N || p_T)) of its sequence, and the per-sequence beta.

    z_t, z_n: [N, V] logits of the N scored tokens; seg: [N] sequence ids."""
    p_n = F.softmax(z_n.float() / tau, -1) + EPS
    log_t = F.log_softmax(z_t.float() / tau, -1)
    kl = (p_n * (p_n.log() - log_t)).sum(-1)
    uniq, inv = torch.unique(seg, return_inverse=True)
    sums = torch.zeros(len(uniq), device=kl.device).index_add_(0, inv, kl)
    counts = torch.bincount(inv, minlength=len(uniq)).float()
    beta = torch.tanh(sums / counts)
    return 0.5 + beta[inv], beta


def kd_token_losses(z_s: Any, z_t: Any, tau: float = 1.0) -> Any:
    """tau^2 * cross-entropy of the student against the teacher distribution p_T (+eps), per token."""
    p_t = F.softmax(z_t.float() / tau, -1) + EPS
    return -(tau ** 2) * (p_t * F.log_softmax(z_s.float() / tau, -1)).sum(-1)


class NCETrainer(WeightedLossTrainer):
    def __init__(self, *args: Any, teacher: Any, lambda_kd: float = 0.5, tau: float = 1.0, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.teacher, self.lambda_kd, self.tau = teacher, lambda_kd, tau

    def compute_loss(self, model: Any, inputs: dict[str, Any], return_outputs: bool = False,
                     num_items_in_batch: Any = None) -> Any:
        from mathdistill.models.nat import set_mode

        labels = inputs.pop("labels")
        pop_loss_inputs(inputs)
        # Logits only where a label follows (logits_to_keep): three [tokens, vocab] tensors are the memory peak.
        keep = (labels[:, 1:] != -100).any(0).nonzero().squeeze(-1)
        tgt = labels[:, keep + 1]
        mask = tgt != -100
        with torch.no_grad():
            self.teacher.eval()
            set_mode(self.teacher, "mix")
            z_t = self.teacher(**inputs, use_cache=False, logits_to_keep=keep).logits[mask]
            set_mode(self.teacher, "neg")
            z_n = self.teacher(**inputs, use_cache=False, logits_to_keep=keep).logits[mask]
            set_mode(self.teacher, "mix")
            seg = segment_ids(labels, inputs.get("position_ids"))[:, keep + 1][mask]
            w, beta = sequence_weights(z_t, z_n, seg, self.tau)
        outputs = model(**inputs, use_cache=False, logits_to_keep=keep)
        z_s = outputs.logits[mask]
        ce = F.cross_entropy(z_s.float(), tgt[mask], reduction="sum")
        kd = (w * kd_token_losses(z_s, z_t, self.tau)).sum()
        denom = num_items_in_batch if num_items_in_batch is not None else mask.sum()
        loss = ((1 - self.lambda_kd) * ce + self.lambda_kd * kd) / denom
        if self.args.average_tokens_across_devices and num_items_in_batch is not None:
            loss = loss * self.accelerator.num_processes
        self._last_beta = float(beta.mean())
        return (loss, outputs) if return_outputs else loss

    def log(self, logs: dict[str, float], start_time: float | None = None) -> None:
        if "loss" in logs and getattr(self, "_last_beta", None) is not None:
            logs["nce_beta"] = round(self._last_beta, 5)
        super().log(logs, start_time)


def load_teacher(teacher_dir: str, device: Any, dtype: Any, attn_implementation: str | None = None) -> Any:
    from mathdistill.errors import MathdistillError
    from mathdistill.models.manifest import is_nat_dir
    from mathdistill.models.nat import load_nat

    if not is_nat_dir(teacher_dir):
        raise MathdistillError(f"--teacher {teacher_dir}: not a NAT model folder (train it with --method nat)")
    t = load_nat(teacher_dir, dtype=dtype, device=str(device), attn_implementation=attn_implementation)
    for p in t.parameters():
        p.requires_grad_(False)
    return t


def train_nce(cfg: Any, method: Any, progress: bool) -> dict[str, Any]:
    transformers = require("transformers", "train")
    from mathdistill.errors import MathdistillError
    from mathdistill.training.collate import Collator
    from mathdistill.training.manifest import prompt_block
    from mathdistill.training.model import count_parameters, load_student, precision, student_attention
    from mathdistill.training.steps import features, finish, fit, metrics, prepare_data
    from mathdistill.training.trainer import make_args, training_arguments

    path, tok, examples, stats, _ = prepare_data(cfg, method)
    dtype, bf16 = precision(cfg)
    model = load_student(cfg, path)
    args = make_args(transformers.TrainingArguments, training_arguments(cfg, bf16, progress))
    teacher = load_teacher(str(cfg.nce.teacher), args.device, dtype, student_attention(cfg))
    if teacher.config.vocab_size != model.config.vocab_size:
        raise MathdistillError(f"--teacher {cfg.nce.teacher}: vocabulary {teacher.config.vocab_size} differs from "
                               f"the student's {model.config.vocab_size}; NCE distils token distributions")
    trainer = NCETrainer(teacher=teacher, lambda_kd=cfg.nce.lambda_kd, tau=cfg.nce.kd_temperature, model=model,
                         args=args, train_dataset=features(examples), processing_class=tok,
                         data_collator=Collator(tok.pad_token_id, cfg.packing))
    result, resumed, secs = fit(trainer, cfg)
    betas = [h["nce_beta"] for h in trainer.state.log_history if "nce_beta" in h]
    return finish(trainer, tok, cfg, model, base_model=cfg.model, base_model_resolved=path, adapter=cfg.lora.r > 0,
                  teacher=str(cfg.nce.teacher), prompt=prompt_block(cfg, stats.formats[0]), data=stats.to_dict(),
                  parameters=count_parameters(model), resumed_from=resumed, nce_beta_last=betas[-1] if betas else None,
                  metrics=metrics(result, trainer, secs))
