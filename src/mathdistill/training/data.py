"""Training rows -> tokenized examples with completion-only labels.

Accepted lines (curation writes all of them, methods.md 4.11-4.13):
  {"prompt", "completion"[, "label"]}   plain text; `label: false` marks a negative (KTO files)
  {"messages": [..., {"role": "assistant", ...}]}   chat; the last assistant turn is the completion

Prompt and completion are tokenized *jointly* and the label boundary comes from character
offsets, so a BPE merge across the boundary cannot shift the mask; the model's end-of-turn token
is appended as an id (never as text): for chat rows the token its chat template ends an assistant
turn with (`<|im_end|>`, `<|eot_id|>`: the model family's `end_of_turn`, else read from the
template), else EOS; prompt and padding are -100. Over-length examples are dropped or truncated and
counted; a reasoning trace is always dropped, never cut before its answer. Every bad line is a
DataError naming file, line and field.

Long chain of thought (docs/longcot.md, Training): the completion is never rendered through the chat
template, so a template that strips `<think>` blocks from earlier assistant turns (Qwen3's) cannot
strip the reasoning from the target; a template that pre-fills `<think>` ends the prompt with it, and
the completion continues after it (data.prompts.continuation), as the model does at sampling and eval.

Chat rows are rendered with data.prompts.render_turns: through the tokenizer's chat template
(`chat`), or, for a tokenizer without one, as the `joined` turns; prompt rows are `plain`. The
rendering is recorded in the trained folder, and sampling and eval render the same way.
Curation marks a problem's reference solution with sample_idx -1: `references: false` (TDG's
NAT/NCE) leaves those rows out, and `max_chars` drops rows whose question + newline + completion
is that long (TDG's length rule, methods.md 3.1).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mathdistill.data.prompts import continuation, render_turns
from mathdistill.errors import DataError, MathdistillError
from mathdistill.grading.reasoning import THINK_TAGS
from mathdistill.io.fingerprint import files_fingerprint
from mathdistill.io.jsonl import read_jsonl

log = logging.getLogger(__name__)

IGNORE = -100
REFERENCE_IDX = -1  # curation's sample_idx of a problem's reference solution (curation card)
CHAT_ROLES = ("system", "user", "assistant")


@dataclass
class Row:
    prompt: str  # rendered prompt text (chat template already applied for chat rows)
    completion: str
    negative: bool
    rendering: str  # chat | joined (messages rows) | plain (prompt rows): data.prompts.RENDERINGS
    where: str  # file:line, for messages
    reference: bool = False  # the problem's reference solution, not a sample
    user: str | None = None  # the last user turn of a messages row (its question, for max_chars)
    key: tuple[str, int] | None = None  # (problem_id, sample_idx) of the sample it was curated from, if named
    reasoning: bool = False  # a reasoning trace (think tags): over max_length it is dropped, never cut


@dataclass
class Example:
    input_ids: list[int]
    labels: list[int]
    negative: bool


@dataclass
class DataStats:
    files: list[str] = field(default_factory=list)
    fingerprint: str = ""
    rows: int = 0
    positives: int = 0
    negatives: int = 0
    skipped_by_method: int = 0  # e.g. negatives in an sft file
    dropped_too_long: int = 0
    traces_too_long: int = 0  # of dropped_too_long: reasoning traces, dropped whatever `truncation` says
    truncated: int = 0
    prompt_too_long: int = 0
    references_dropped: int = 0  # reference solutions left out (references: false)
    over_max_chars: int = 0  # rows dropped by max_chars
    tokens: int = 0
    label_tokens: int = 0
    reasoning_rows: int = 0  # kept rows that are reasoning traces: eval reads the model as a thinking one
    formats: list[str] = field(default_factory=list)
    end_of_turn: list[str] = field(default_factory=list)  # the token(s) every target ends with

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _text(d: dict, name: str, path: Path, lineno: int) -> str:
    v = d.get(name)
    if v is None:
        raise DataError(path, lineno, name, "missing required field")
    if not isinstance(v, str):
        raise DataError(path, lineno, name, f"expected a string, got {type(v).__name__}")
    if not v.strip():
        raise DataError(path, lineno, name, "is empty")
    return v


def _label(d: dict, path: Path, lineno: int) -> bool | None:
    if "label" not in d or d["label"] is None:
        return None
    if not isinstance(d["label"], bool):
        raise DataError(path, lineno, "label", f"expected true/false, got {d['label']!r}")
    return d["label"]


def read_rows(path: str | Path, tokenizer: Any, *, default_negative: bool, prompt_format: str) -> list[Row]:
    """All rows of one file; `default_negative` applies to rows without a `label`."""
    path = Path(path)
    rows: list[Row] = []
    for lineno, d in read_jsonl(path):
        label = _label(d, path, lineno)
        negative = default_negative if label is None else not label
        where = f"{path}:{lineno}"
        if "messages" in d:
            row = _chat_row(d, tokenizer, path, lineno, negative, prompt_format)
        elif "prompt" in d or "completion" in d:
            row = Row(_text(d, "prompt", path, lineno), _text(d, "completion", path, lineno), negative, "plain",
                      where)
        else:
            raise DataError(path, lineno, "completion", "line has neither prompt/completion nor messages")
        row.completion = continuation(row.prompt, row.completion)
        row.reasoning = any(t in row.completion for t in THINK_TAGS) or row.prompt.rstrip().endswith(THINK_TAGS[0])
        row.reference = d.get("sample_idx") == REFERENCE_IDX
        if d.get("problem_id") is not None and type(d.get("sample_idx")) is int:
            row.key = (str(d["problem_id"]), d["sample_idx"])
        rows.append(row)
    if not rows:
        raise DataError(path, None, None, "no training rows (empty file)")
    return rows


def _chat_row(d: dict, tok: Any, path: Path, lineno: int, negative: bool, prompt_format: str) -> Row:
    msgs = d["messages"]
    if not isinstance(msgs, list) or not msgs:
        raise DataError(path, lineno, "messages", "expected a non-empty list of {role, content}")
    for i, m in enumerate(msgs):
        if not isinstance(m, dict) or not isinstance(m.get("role"), str) or not isinstance(m.get("content"), str):
            raise DataError(path, lineno, f"messages[{i}]", "expected {\"role\": str, \"content\": str}")
        if m["role"] not in CHAT_ROLES:
            # A chat template renders an unknown role as it likes (or drops it): refused, not trained on.
            raise DataError(path, lineno, f"messages[{i}].role", f"unknown role {m['role']!r} (known: "
                            f"{', '.join(CHAT_ROLES)})")
    if msgs[-1]["role"] != "assistant":
        raise DataError(path, lineno, "messages", "the last message must be the assistant's completion")
    if not msgs[-1]["content"].strip():
        raise DataError(path, lineno, "messages[-1].content", "is empty")
    head, completion = msgs[:-1], msgs[-1]["content"]
    rendering = "chat"
    if prompt_format == "plain" or not getattr(tok, "chat_template", None):
        if prompt_format == "chat":
            raise MathdistillError(f"{path}:{lineno}: prompt_format=chat but the tokenizer has no chat template")
        rendering = "joined"
    users = [m["content"] for m in head if m["role"] == "user"]
    return Row(render_turns(head, tok, rendering), completion, negative, rendering, f"{path}:{lineno}",
               user=users[-1] if users else None)


def end_of_turn(tok: Any, rendering: str, model: str = "") -> str | None:
    """The token that ends the model's answer under `rendering`: for chat rows the model family's
    `end_of_turn` (models.families), else the special token the chat template writes right after an
    assistant turn's content; None (EOS) for plain and joined rows, and when neither says one."""
    if rendering != "chat":
        return None
    from mathdistill.models.families import detect_family

    vocab = tok.get_vocab()
    named = detect_family(model, tok).end_of_turn
    if named and named in vocab:
        return named
    mark = "MATHDISTILL_END_OF_TURN_PROBE"
    try:
        text = tok.apply_chat_template([{"role": "user", "content": "1+1?"}, {"role": "assistant", "content": mark}],
                                       tokenize=False)
    except Exception as e:  # noqa: BLE001 - a template that cannot render this says nothing: EOS
        log.debug("end of turn: the chat template did not render an assistant turn: %s", e)
        return None
    if not isinstance(text, str) or mark not in text:
        return None
    after = text.rsplit(mark, 1)[1].lstrip(" ")  # Llama-2 writes " </s>"
    special = sorted({t for t in getattr(tok, "all_special_tokens", [])} | {
        t.content for t in getattr(tok, "added_tokens_decoder", {}).values() if getattr(t, "special", False)},
        key=len, reverse=True)
    return next((t for t in special if t and after.startswith(t) and t in vocab), None)


def tokenize(row: Row, tok: Any, max_length: int, truncation: str, stats: DataStats,
             end_id: int | None = None) -> Example | None:
    """Joint tokenization; labels only on completion tokens + the end token (`end_id`, default EOS).
    None if dropped."""
    text = row.prompt + row.completion
    if getattr(tok, "is_fast", False):
        enc = tok(text, add_special_tokens=True, return_offsets_mapping=True)
        ids = list(enc["input_ids"])
        cut = len(row.prompt)
        # A token is a completion token if it ends after the prompt ends; specials have (0, 0).
        n_prompt = sum(1 for (s, e) in enc["offset_mapping"] if e <= cut)
    else:  # slow tokenizers have no offsets: prompt length from the prompt alone (DART, RFT)
        ids = list(tok(text, add_special_tokens=True)["input_ids"])
        n_prompt = len(tok(row.prompt, add_special_tokens=True)["input_ids"])
    if len(ids) >= 2 and tok.bos_token_id is not None and ids[0] == ids[1] == tok.bos_token_id:
        ids, n_prompt = ids[1:], n_prompt - 1  # chat templates that write BOS themselves
    ids.append(tok.eos_token_id if end_id is None else end_id)
    labels = [IGNORE] * n_prompt + ids[n_prompt:]
    if n_prompt >= max_length:
        stats.prompt_too_long += 1
        return None
    if len(ids) > max_length:
        if truncation == "drop" or row.reasoning:
            # A trace cut short teaches the student to stop mid-thought: never trained without its answer.
            stats.dropped_too_long += 1
            stats.traces_too_long += row.reasoning
            return None
        ids, labels = ids[:max_length], labels[:max_length]
        stats.truncated += 1
    if all(x == IGNORE for x in labels):
        stats.prompt_too_long += 1
        return None
    stats.tokens += len(ids)
    stats.label_tokens += sum(x != IGNORE for x in labels)
    return Example(ids, labels, row.negative)


def load_examples(cfg: Any, tok: Any, method: Any) -> tuple[list[Example], DataStats, list[Row]]:
    """Rows of cfg.data (+ cfg.negatives) -> examples for `method` (a training.methods row: which rows
    it learns from, and whether unlabeled data rows are negatives)."""
    if not cfg.data:
        raise MathdistillError("no training data: give --data FILE.jsonl")
    files = [str(p) for p in [*cfg.data, *cfg.negatives]]
    for p in files:
        if not Path(p).exists():
            raise DataError(p, None, None, "file not found")
    stats = DataStats(files=files, fingerprint=files_fingerprint(files))
    rows: list[Row] = []
    for p in cfg.data:
        rows += read_rows(p, tok, default_negative=method.unlabeled_negative, prompt_format=cfg.prompt_format)
    for p in cfg.negatives:
        rows += read_rows(p, tok, default_negative=True, prompt_format=cfg.prompt_format)
    stats.rows = len(rows)
    unclosed = sum(r.prompt.rstrip().endswith(THINK_TAGS[0]) and THINK_TAGS[1] not in r.completion for r in rows)
    if unclosed:
        log.warning("%s of %s rows: the chat template opens a reasoning (%s) that the row's completion never "
                    "closes; the student learns to answer inside it (short chain-of-thought data for a "
                    "reasoning template?)", unclosed, len(rows), THINK_TAGS[0])
    stats.formats = sorted({r.rendering for r in rows})
    if len(stats.formats) > 1:
        raise MathdistillError(f"{', '.join(files)}: mixes chat (messages) and plain (prompt/completion) rows; "
                               "train on one format so eval can use the same prompt")
    question = _question_reader(cfg) if cfg.max_chars else None
    ends = {f: end_of_turn(tok, f, str(cfg.model)) for f in stats.formats}
    stats.end_of_turn = sorted({e or tok.eos_token for e in ends.values()})
    end_ids = {f: None if e is None else tok.convert_tokens_to_ids(e) for f, e in ends.items()}
    examples = []
    kept_rows = []
    for r in rows:
        if not method.keeps(r.negative):
            stats.skipped_by_method += 1
            continue
        if r.reference and not cfg.references:
            stats.references_dropped += 1
            continue
        if question is not None and len(question(r) + "\n" + r.completion) >= cfg.max_chars:
            stats.over_max_chars += 1
            continue
        ex = tokenize(r, tok, cfg.max_length, cfg.truncation, stats, end_ids[r.rendering])
        if ex is not None:
            examples.append(ex)
            kept_rows.append(r)
            stats.negatives += ex.negative
            stats.positives += not ex.negative
            stats.reasoning_rows += r.reasoning
    if not examples:
        raise MathdistillError(
            f"{', '.join(files)}: no usable training example for --method {cfg.method} "
            f"({stats.rows} rows, {stats.skipped_by_method} not used by this method, "
            f"{stats.references_dropped} reference solutions left out, {stats.over_max_chars} over max_chars, "
            f"{stats.dropped_too_long + stats.prompt_too_long} longer than max_length={cfg.max_length})")
    if getattr(cfg, "gradient_checkpointing", False) is None:
        from mathdistill.training.model import default_checkpointing

        per_step = stats.tokens / len(examples) * min(cfg.per_device_train_batch_size, len(examples))
        cfg.gradient_checkpointing = default_checkpointing(per_step)
    return examples, stats, kept_rows


def _question_reader(cfg: Any) -> Any:
    """row -> its question, recovered from the prompt through the data's template (for max_chars).

    A prompt that is not the template applied to a question (or data without a known template) is
    measured whole: a few characters of template more than TDG counts, never fewer."""
    from mathdistill.data.prompts import make_prompter
    from mathdistill.training.manifest import data_template

    name = cfg.template or data_template(list(cfg.data))
    prompter = make_prompter(name) if name else None
    warned: list[str] = []

    def question(r: Row) -> str:
        whole = r.user if r.user is not None else r.prompt
        q = None
        if prompter is not None:
            q = prompter.question_of_turn(r.user) if r.user is not None else prompter.question_of(r.prompt)
        if q is None and not warned:
            warned.append(r.where)
            log.warning("max_chars: %s: %s, so the whole prompt is measured instead of the question", r.where,
                        f"the prompt is not template '{name}' applied to a question" if name
                        else "no template known (give --template)")
        return whole if q is None else q

    return question
