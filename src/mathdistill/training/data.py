"""Training rows -> tokenized examples with completion-only labels.

Accepted lines (curation writes all of them, methods.md 4.11-4.13):
  {"prompt", "completion"[, "label"]}   plain text; `label: false` marks a negative (KTO files)
  {"messages": [..., {"role": "assistant", ...}]}   chat; the last assistant turn is the completion

Prompt and completion are tokenized *jointly* and the label boundary comes from character
offsets, so a BPE merge across the boundary cannot shift the mask; EOS is appended as an
id (never as text), prompt and padding are -100. Over-length examples are dropped or
truncated and counted. Every bad line is a DataError naming file, line and field.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mathdistill.errors import DataError, MathdistillError
from mathdistill.io.fingerprint import files_fingerprint
from mathdistill.io.jsonl import read_jsonl

IGNORE = -100


@dataclass
class Row:
    prompt: str  # rendered prompt text (chat template already applied for chat rows)
    completion: str
    negative: bool
    chat: bool
    where: str  # file:line, for messages


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
    truncated: int = 0
    prompt_too_long: int = 0
    tokens: int = 0
    label_tokens: int = 0
    formats: list[str] = field(default_factory=list)

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
            rows.append(_chat_row(d, tokenizer, path, lineno, negative, prompt_format))
        elif "prompt" in d or "completion" in d:
            rows.append(Row(_text(d, "prompt", path, lineno), _text(d, "completion", path, lineno), negative,
                            False, where))
        else:
            raise DataError(path, lineno, "completion", "line has neither prompt/completion nor messages")
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
    if msgs[-1]["role"] != "assistant":
        raise DataError(path, lineno, "messages", "the last message must be the assistant's completion")
    if not msgs[-1]["content"].strip():
        raise DataError(path, lineno, "messages[-1].content", "is empty")
    head, completion = msgs[:-1], msgs[-1]["content"]
    if prompt_format == "plain" or not getattr(tok, "chat_template", None):
        if prompt_format == "chat":
            raise MathdistillError(f"{path}:{lineno}: prompt_format=chat but the tokenizer has no chat template")
        prompt = "\n\n".join(m["content"] for m in head) + "\n"
        return Row(prompt, completion, negative, False, f"{path}:{lineno}")
    prompt = tok.apply_chat_template(head, tokenize=False, add_generation_prompt=True)
    return Row(prompt, completion, negative, True, f"{path}:{lineno}")


def tokenize(row: Row, tok: Any, max_length: int, truncation: str, stats: DataStats) -> Example | None:
    """Joint tokenization; labels only on completion tokens + EOS. None if dropped."""
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
    ids.append(tok.eos_token_id)
    labels = [IGNORE] * n_prompt + ids[n_prompt:]
    if n_prompt >= max_length:
        stats.prompt_too_long += 1
        return None
    if len(ids) > max_length:
        if truncation == "drop":
            stats.dropped_too_long += 1
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
    stats.formats = sorted({"chat" if r.chat else "plain" for r in rows})
    if len(stats.formats) > 1:
        raise MathdistillError(f"{', '.join(files)}: mixes chat (messages) and plain (prompt/completion) rows; "
                               "train on one format so eval can use the same prompt")
    examples = []
    kept_rows = []
    for r in rows:
        if not method.keeps(r.negative):
            stats.skipped_by_method += 1
            continue
        ex = tokenize(r, tok, cfg.max_length, cfg.truncation, stats)
        if ex is not None:
            examples.append(ex)
            kept_rows.append(r)
            stats.negatives += ex.negative
            stats.positives += not ex.negative
    if not examples:
        raise MathdistillError(
            f"{', '.join(files)}: no usable training example for --method {cfg.method} "
            f"({stats.rows} rows, {stats.skipped_by_method} not used by this method, "
            f"{stats.dropped_too_long + stats.prompt_too_long} longer than max_length={cfg.max_length})")
    return examples, stats, kept_rows
