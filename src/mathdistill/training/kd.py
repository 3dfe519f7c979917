"""`--method kd`: offline top-K logit distillation on SFT's rows (docs/distillation.md).

  L = [(1 - lambda) sum_t CE_t + lambda sum_t D_t] / N

with N the label tokens of the accumulated batch (as for SFT), CE the student's loss on the sampled
completion and D the divergence (training.losses.kd) between the teacher's top-K (+ tail) distribution
at that token, read from the samples folder's sidecar (store.logprobs, `sample --logprobs K`), and
the student's. Rows, tokenization, packing, checkpoints, resume and manifest are the MLE family's;
with lambda = 0 the loss is SFT's, bit for bit.

The teacher's log-probs belong to the tokens it generated; the student trains on its own tokenization
of the curated text. Both id sequences are aligned (difflib's matching blocks): a label token gets a
teacher distribution only where the two agree, and the share of label tokens that do is reported
as `coverage` (near 1 when teacher and student share the tokenizer; reference solutions have none).
A teacher whose vocabulary is not the student's is refused: the ids would name other tokens.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mathdistill._optional import require
from mathdistill.errors import MathdistillError
from mathdistill.training.collate import Collator, label_positions, loss_sums, pop_loss_inputs, segment_ids
from mathdistill.training.data import IGNORE, REFERENCE_IDX
from mathdistill.training.trainer import WeightedLossTrainer, accepts_logits_to_keep

np = require("numpy", "train")
torch = require("torch", "train")
log = logging.getLogger(__name__)

KD_KEYS = ("kd_ids", "kd_lp", "kd_mask")
# A matching block shorter than this between the two id sequences is taken for chance, except at
# either end (the first tokens, the EOS).
MIN_BLOCK = 2
# Less coverage than this is logged as a warning: the tokenizations disagree more than retokenizing
# generated text does.
LOW_COVERAGE = 0.9


def samples_dir_of(cfg: Any) -> str:
    """`kd.samples`, else the samples folder the curated data was made from (its stats.json)."""
    if cfg.kd.samples:
        return str(cfg.kd.samples)
    from mathdistill.io.atomic import read_json

    for f in cfg.data:
        stats = read_json(Path(f).parent / "stats.json")
        d = (stats or {}).get("input", {}).get("samples_dir") if isinstance(stats, dict) else None
        if d:
            return str(d)
    raise MathdistillError("--method kd: give --kd-samples DIR (the samples folder sampled with --logprobs K); "
                           f"{', '.join(map(str, cfg.data))} has no stats.json naming it")


def check_vocabulary(teacher: dict[str, Any] | None, tok: Any, where: str) -> None:
    """Refuse a teacher whose token ids mean other tokens than the student's."""
    from mathdistill.store.logprobs import tokenizer_vocab

    student = tokenizer_vocab(tok) or {}
    if not teacher or not teacher.get("digest"):
        raise MathdistillError(f"{where}: the token log-probs do not record the teacher's vocabulary, so kd cannot "
                               "check that its token ids are the student's; sample the teacher with --backend hf or "
                               "vllm")
    if teacher["digest"] != student.get("digest"):
        raise MathdistillError(
            f"{where}: the teacher's vocabulary ({teacher.get('size')} tokens, digest {teacher['digest']}) is not the "
            f"student's ({student.get('size')} tokens, digest {student.get('digest')}); kd compares token "
            "distributions over one shared vocabulary: distil into a student of the teacher's tokenizer family")


def string_ids(strings: list[str], tok: Any) -> Any:
    """Local ids of a server's token strings -> the student's ids (-1: none). A string is a token of
    the student's vocabulary as written (convert_tokens_to_ids), else the one id that decodes to it."""
    vocab = tok.get_vocab()
    decoded: dict[str, int] = {}
    ambiguous: set[str] = set()
    for i in sorted(vocab.values()):
        s = tok.decode([i])
        if s in decoded:
            ambiguous.add(s)
        else:
            decoded[s] = i
    out = np.full(len(strings) + 1, -1, dtype=np.int64)  # index -1 (an empty slot) stays -1
    for j, s in enumerate(strings):
        if s in vocab:
            out[j] = vocab[s]
        elif s in decoded and s not in ambiguous:
            out[j] = decoded[s]
    return out


@dataclass
class Teacher:
    """The sidecar, checked against the student and the samples; `targets(example, row)` aligns."""

    folder: str
    reader: Any
    k: int
    id_map: Any = None  # token strings -> student ids (a server that sent strings)
    stats: dict[str, Any] = field(default_factory=lambda: {"label_tokens": 0, "covered": 0, "rows_without": 0})

    def targets(self, ex: Any, row: Any) -> dict[str, Any]:
        """kd_ids [m, K] int32, kd_lp [m, K] float16 and kd_mask [m] over the example's label span (from its
        first label), m = len(input_ids) - first label."""
        from difflib import SequenceMatcher

        start = next(i for i, x in enumerate(ex.labels) if x != IGNORE)
        labels = ex.labels[start:]
        m = len(labels)
        ids = np.full((m, self.k), -1, dtype=np.int32)
        lps = np.full((m, self.k), -np.inf, dtype=np.float16)
        mask = np.zeros(m, dtype=bool)
        n_labels = sum(x != IGNORE for x in labels)
        self.stats["label_tokens"] += n_labels
        rec = self.reader.get(row.key) if row.key is not None and row.key[1] != REFERENCE_IDX else None
        if rec is None:
            self.stats["rows_without"] += 1
            return {"kd_ids": ids, "kd_lp": lps, "kd_mask": mask}
        t_ids, t_top = np.asarray(rec["id"]), np.asarray(rec["top_ids"])
        if self.id_map is not None:
            t_ids, t_top = self.id_map[t_ids], self.id_map[t_top]
        sm = SequenceMatcher(None, labels, t_ids.tolist(), autojunk=False)
        for a, b, size in sm.get_matching_blocks():
            ends = (a == 0 and b == 0) or (a + size == m and b + size == len(t_ids))
            if size and (size >= MIN_BLOCK or ends):
                mask[a:a + size] = [x != IGNORE for x in labels[a:a + size]]
                ids[a:a + size] = t_top[b:b + size]
                lps[a:a + size] = rec["top_lp"][b:b + size]
        self.stats["covered"] += int(mask.sum())
        return {"kd_ids": ids, "kd_lp": lps, "kd_mask": mask}

    def coverage(self) -> float:
        return self.stats["covered"] / max(1, self.stats["label_tokens"])


def load_teacher(cfg: Any, tok: Any, rows: list[Any]) -> Teacher:
    """The teacher's token log-probs for `rows`, refused with one line when they cannot be used."""
    from mathdistill.store.logprobs import LogprobsReader
    from mathdistill.store.samples import SamplesDir

    folder = samples_dir_of(cfg)
    where = f"--kd-samples {folder}"
    try:
        reader = LogprobsReader(folder)
    except MathdistillError as e:
        raise MathdistillError(f"--method kd needs the teacher's token log-probs: {e}") from None
    id_map = None
    if reader.kind == "id":
        check_vocabulary(reader.vocab, tok, where)
    else:
        id_map = string_ids(reader.strings or [], tok)
        sampled = np.concatenate([np.asarray(reader.get(k)["id"]) for k in reader.index] or [np.zeros(0, int)])
        unmapped = float((id_map[sampled] < 0).mean()) if len(sampled) else 0.0
        if unmapped > 0.01:
            raise MathdistillError(
                f"{where}: {unmapped:.1%} of the teacher's tokens (strings from an OpenAI-compatible server) are not "
                "tokens of the student's vocabulary; kd needs a teacher that shares the student's tokenizer (ask a "
                "vLLM server for ids: --set backend_options.token_ids=true)")
    responses = {s.key: s.response for s in SamplesDir(folder).require().iter_samples()}
    stale = reader.check_samples(responses)
    if stale:
        raise MathdistillError(f"{where}: the token log-probs of {len(stale)} samples (e.g. {stale[0][0]}#"
                               f"{stale[0][1]}) were recorded for other responses than samples.jsonl holds: the "
                               "sidecar comes from another sample set")
    for r in rows:
        if r.key is None:
            raise MathdistillError(f"{r.where}: no problem_id/sample_idx; kd reads the teacher's log-probs of the "
                                   "sample a row was curated from (train on curated files)")
        if r.key[1] == REFERENCE_IDX:
            continue
        if r.key not in reader.index:
            raise MathdistillError(f"{r.where}: sample {r.key[0]}#{r.key[1]} has no token log-probs in {folder} (a "
                                   "sidecar of another sample set, or samples made without --logprobs)")
        if r.completion.strip() not in responses.get(r.key, ""):
            raise MathdistillError(f"{r.where}: the completion is not sample {r.key[0]}#{r.key[1]} of {folder}: the "
                                   "data was curated from another samples folder")
    return Teacher(folder, reader, reader.k, id_map)


class KDCollator(Collator):
    """The MLE batch plus the teacher's targets, laid out like the labels (packed or padded)."""

    def __call__(self, features: list[dict[str, Any]]) -> dict[str, Any]:
        batch = super().__call__(features)
        b, width = batch["labels"].shape
        k = features[0]["kd_ids"].shape[1]
        ids = np.full((b, width, k), -1, dtype=np.int64)
        lps = np.full((b, width, k), -np.inf, dtype=np.float32)
        mask = np.zeros((b, width), dtype=bool)
        at = 0
        for row, f in enumerate(features):
            n, m = len(f["input_ids"]), len(f["kd_mask"])
            r, s = (0, at + n - m) if self.packing else (row, n - m)
            ids[r, s:s + m], lps[r, s:s + m], mask[r, s:s + m] = f["kd_ids"], f["kd_lp"], f["kd_mask"]
            at += n
        batch.update(kd_ids=torch.from_numpy(ids), kd_lp=torch.from_numpy(lps), kd_mask=torch.from_numpy(mask))
        return batch


class KDTrainer(WeightedLossTrainer):
    """WeightedLossTrainer's joint loss with the divergence added on the tokens that have a teacher target."""

    def __init__(self, *args: Any, lambda_kd: float = 0.5, divergence: str = "forward", beta: float = 0.5,
                 temperature: float = 1.0, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.lambda_kd, self.divergence, self.beta, self.temperature = lambda_kd, divergence, beta, temperature
        self._parts: dict[str, list[float]] = {"kd_loss": [], "ce_loss": []}

    def compute_loss(self, model: Any, inputs: dict[str, Any], return_outputs: bool = False,
                     num_items_in_batch: Any = None) -> Any:
        from mathdistill.training.losses.kd import token_divergence

        kd = {k: inputs.pop(k) for k in KD_KEYS}
        if not self.lambda_kd:  # SFT's own loss (chunked CE, Liger, ...): kd with lambda 0 is SFT bit for bit
            return super().compute_loss(model, inputs, return_outputs, num_items_in_batch)
        labels = inputs.pop("labels")
        w = pop_loss_inputs(inputs)
        seg = segment_ids(labels, inputs.get("position_ids"))
        if getattr(self, "_keep_ok", None) is None:
            self._keep_ok = accepts_logits_to_keep(model)
        keep = label_positions(labels) if self._keep_ok else None
        if keep is None:
            outputs = model(**inputs, use_cache=False)
            logits, tgt, at = outputs.logits[:, :-1], labels[:, 1:], slice(1, None)
        else:
            outputs = model(**inputs, use_cache=False, logits_to_keep=keep)
            logits, tgt, at = outputs.logits, labels[:, keep + 1], keep + 1
        # The divergence needs the student's logits at the teacher's K tokens and its logsumexp over the
        # vocabulary; that logsumexp gives the CE too, so the vocabulary is reduced once.
        mask = tgt != IGNORE
        z = logits.float()
        lse = torch.logsumexp(z, -1, keepdim=True)
        picked = z.gather(-1, tgt.clamp_min(0)[..., None])
        ce = torch.where(mask, (lse - picked).squeeze(-1), torch.zeros((), device=z.device))
        sums = loss_sums(ce, tgt, w["ce_weight"][:, at], w["ul_weight"][:, at], w["negative"][:, at], seg[:, at],
                         self.ul_level)
        total = sums[0] + sums[1] + sums[2]
        n_tokens = mask.sum()
        sel = mask & kd["kd_mask"][:, at]
        d = token_divergence(z[sel], kd["kd_ids"][:, at][sel], kd["kd_lp"][:, at][sel], divergence=self.divergence,
                             beta=self.beta, temperature=self.temperature, student_lse=lse[sel])
        self._parts["ce_loss"].append(float(total.detach()) / max(1, int(n_tokens)))
        self._parts["kd_loss"].append(float(d.detach().mean()) if len(d) else 0.0)
        total = (1 - self.lambda_kd) * total + self.lambda_kd * d.sum()
        denom = num_items_in_batch if num_items_in_batch is not None else n_tokens
        loss = total / denom.clamp_min(1) if hasattr(denom, "clamp_min") else total / max(1, int(denom))
        if self.args.average_tokens_across_devices and num_items_in_batch is not None and self.args.world_size > 1:
            loss = loss * self.accelerator.num_processes
        return (loss, outputs) if return_outputs else loss

    def log(self, logs: dict[str, float], start_time: float | None = None) -> None:
        if "loss" in logs:
            for name, values in self._parts.items():
                if values:
                    logs[name] = round(sum(values) / len(values), 5)
                    values.clear()
        super().log(logs, start_time)


def build_kd(cfg: Any, method: Any, progress: bool = True) -> dict[str, Any]:
    """Everything train_kd needs, built but not run (tests inspect the pieces)."""
    transformers = require("transformers", "train")
    from mathdistill.models.loading import load_tokenizer
    from mathdistill.training.data import load_examples
    from mathdistill.training.manifest import check_guard
    from mathdistill.training.model import load_student, precision
    from mathdistill.training.steps import ListDataset, report_data, student_path
    from mathdistill.training.trainer import make_args, training_arguments

    path = student_path(cfg.model)
    tok = load_tokenizer(path)
    examples, stats, rows = load_examples(cfg, tok, method)
    report_data(stats, cfg)
    teacher = load_teacher(cfg, tok, rows)
    feats = [{"input_ids": e.input_ids, "labels": e.labels, "negative": e.negative, **teacher.targets(e, r)}
             for e, r in zip(examples, rows, strict=True)]
    if teacher.stats["covered"] == 0:
        raise MathdistillError(f"--kd-samples {teacher.folder}: no label token of the data matches the teacher's "
                               "tokens; the teacher's tokenization is not the student's")
    if teacher.coverage() < LOW_COVERAGE:
        log.warning("kd: only %.1f%% of the label tokens have a teacher distribution (%s rows without one)",
                    100 * teacher.coverage(), teacher.stats["rows_without"])
    check_guard(cfg, stats.fingerprint)
    transformers.set_seed(cfg.seed)
    model = load_student(cfg, path)
    top = max(int(np.asarray(teacher.reader.get(k)["top_ids"]).max(initial=-1)) for k in teacher.reader.index) \
        if teacher.id_map is None and len(teacher.reader) else -1
    if top >= model.config.vocab_size:
        raise MathdistillError(f"--kd-samples {teacher.folder}: teacher token id {top} is outside the student's "
                               f"{model.config.vocab_size} embeddings")
    _, bf16 = precision(cfg)
    args = make_args(transformers.TrainingArguments, training_arguments(cfg, bf16, progress))
    trainer = KDTrainer(model=model, args=args, train_dataset=ListDataset(feats), processing_class=tok,
                        data_collator=KDCollator(tok.pad_token_id, cfg.packing, method.negative_weights(cfg.neg_lambda)),
                        normalize=method.normalize, ul_level=cfg.ul_level, lambda_kd=cfg.kd.lambda_kd,
                        divergence=cfg.kd.divergence, beta=cfg.kd.beta, temperature=cfg.kd.temperature)
    return {"trainer": trainer, "model": model, "tok": tok, "stats": stats, "path": path, "teacher": teacher}


def train_kd(cfg: Any, method: Any, progress: bool) -> dict[str, Any]:
    from mathdistill.training.manifest import prompt_block
    from mathdistill.training.model import count_parameters
    from mathdistill.training.steps import finish, fit, metrics

    b = build_kd(cfg, method, progress)
    trainer, model, stats, teacher = b["trainer"], b["model"], b["stats"], b["teacher"]
    log.info("train: kd on %s: %s examples, teacher top-%s from %s, %.1f%% of label tokens covered", b["path"],
             stats.positives, teacher.k, teacher.folder, 100 * teacher.coverage())
    result, resumed, secs = fit(trainer, cfg)
    hist = [h for h in trainer.state.log_history if "kd_loss" in h]
    return finish(trainer, b["tok"], cfg, model, base_model=cfg.model, base_model_resolved=b["path"],
                  adapter=cfg.lora.r > 0, prompt=prompt_block(cfg, stats.formats[0]), data=stats.to_dict(),
                  parameters=count_parameters(model), resumed_from=resumed,
                  kd={"samples": teacher.folder, "k": teacher.k, "token_kind": teacher.reader.kind,
                      "coverage": round(teacher.coverage(), 4), **teacher.stats,
                      "first_kd_loss": hist[0]["kd_loss"] if hist else None,
                      "last_kd_loss": hist[-1]["kd_loss"] if hist else None},
                  metrics=metrics(result, trainer, secs))
