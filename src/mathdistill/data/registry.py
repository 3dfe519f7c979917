"""The benchmark registry: what a benchmark is, how a row of it becomes a Problem, and lookups.

One `Benchmark` entry says everything about a problem source: where it lives (a local file name per
split, and the Hugging Face Hub id, config, split and revision), which fields hold the question,
the gold, the id, the subject and the level, how the gold is read (the field as it is, or the final
answer of a worked solution through `grading.reference_answer`), the answer type, the license and
the usual sampling settings. The entries themselves are in `mathdistill.data.benchmarks`; adding
a benchmark is adding an entry there (and a test on a small file in the Hub's schema).

A data spec on the command line is `NAME[:OPTION...][:N]`: options belong to generated sources
(`arith:steps=1`, `rg:chain_sum:max_terms=3`), and a last part that is a bare number asks for N
samples per problem (`aime25:64`).
"""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from mathdistill.errors import DataError, MathdistillError
from mathdistill.grading.grader import reference_answer
from mathdistill.records import Problem

ANSWER_TYPES = ("number", "expression", "choice", "text")
GOLD_RULES = ("field", "solution", "choice", "generated")

Converter = Callable[[dict[str, Any], str, int, str], Problem]


@dataclass(frozen=True)
class Hub:
    """Where `datasets.load_dataset` finds a benchmark: id, config, our split -> the Hub's split."""

    id: str
    config: str | None = None
    splits: dict[str, str] = field(default_factory=lambda: {"test": "test"})
    revision: str | None = None  # a commit or tag; None: the default branch
    gated: bool = False  # the Hub asks users to accept terms before downloading


@dataclass(frozen=True)
class Fields:
    """Which field of a row holds what. `answer` holds the gold (an answer, or a solution when the
    benchmark's gold rule is "solution"); `context`, when set and non-empty, goes before the question."""

    question: str = "problem"
    answer: str = "answer"
    id: str | None = None
    solution: str | None = None
    subject: str | None = None
    level: str | None = None
    context: str | None = None
    meta: tuple[str, ...] = ()  # more fields copied into Problem.meta as they are


@dataclass(frozen=True)
class Benchmark:
    """One registry entry. `files`: our split -> local file name in the data dir ("" for generated
    sources). `convert`: a row-to-Problem function for a schema the field map cannot express (None:
    built from `fields` and `gold`). `hub_rows`: a Hub reader for a dataset spread over configs
    (None: one `load_dataset` call). `keep`: rows outside the benchmark (other languages, images)
    are skipped. `generate`: (source, split, limit) -> problems for sources made on the fly.
    `n` and `max_new_tokens` are the usual settings (`n` is what a suite asks for)."""

    name: str
    title: str
    files: dict[str, str]
    answer_type: str
    license: str
    hub: Hub | None = None
    fields: Fields = Fields()
    gold: str = "field"
    convert: Converter | None = None
    hub_rows: Callable[[Benchmark, str], Iterator[dict[str, Any]]] | None = None
    keep: Callable[[dict[str, Any]], bool] | None = None
    exemplar_source: tuple[str, str] = ("math", "train")
    default_template: str = "boxed_cot"
    n: int = 1
    max_new_tokens: int = 1024
    size: str = ""
    graded: str = ""  # how a response is graded, for people (data list, docs/benchmarks.md)
    homepage: str = ""
    generate: Callable[[str, str, int | None], list[Problem]] | None = None

    def __post_init__(self) -> None:
        if self.answer_type not in ANSWER_TYPES:
            raise ValueError(f"{self.name}: answer_type must be one of {ANSWER_TYPES}")
        if self.gold not in GOLD_RULES:
            raise ValueError(f"{self.name}: gold must be one of {GOLD_RULES}")

    def to_problem(self, row: dict[str, Any], where: str, i: int, split: str, **kw: Any) -> Problem:
        """Row `i` (1-based) of `where` as a Problem; `kw` goes to a custom converter."""
        if self.convert is not None:
            return self.convert(row, where, i, split, **kw) if kw else self.convert(row, where, i, split)
        return convert_row(self, row, where, i, split)

    def hub_description(self) -> str:
        if self.hub is None:
            return "-"
        h = self.hub
        parts = [h.id] + ([h.config] if h.config else []) + [",".join(sorted(set(h.splits.values())))]
        out = "/".join(parts[:-1]) + f" [{parts[-1]}]"
        return out + (f" @{h.revision[:12]}" if h.revision else "") + (" (gated)" if h.gated else "")


# --- reading rows ----------------------------------------------------------------------------


def require_field(d: dict, key: str, where: str, lineno: int) -> Any:
    if key not in d or d[key] is None or (isinstance(d[key], str) and not d[key].strip()):
        raise DataError(where, lineno, key, "missing or empty")
    return d[key]


def level_of(v: Any) -> int | str | None:
    """"Level 3", 3, "3" -> 3; other text stays text."""
    if v is None:
        return None
    m = re.search(r"\d+", str(v))
    return int(m.group(0)) if m else str(v)


def answer_text(v: Any) -> str:
    """A gold value as answer text: whole floats without `.0`, lists joined by ", ", outer `$` gone."""
    if isinstance(v, bool):
        return str(v)
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    if isinstance(v, list | tuple):
        return ", ".join(answer_text(x) for x in v)
    s = str(v).strip()
    if len(s) >= 2 and s.startswith("$") and s.endswith("$") and "$" not in s[1:-1].replace("$$", ""):
        s = s.strip("$").strip()
    return s


def convert_row(b: Benchmark, d: dict[str, Any], where: str, i: int, split: str) -> Problem:
    """The generic converter: the field map and the gold rule of `b`."""
    f = b.fields
    q = str(require_field(d, f.question, where, i)).strip()
    if f.context and isinstance(d.get(f.context), str) and d[f.context].strip():
        q = d[f.context].strip() + "\n" + q
    raw = require_field(d, f.answer, where, i)
    solution = d.get(f.solution) if f.solution else None
    if b.gold == "solution":
        solution = str(raw)
        gold = reference_answer(solution)
        if not gold:
            raise DataError(where, i, f.answer, "no final answer (\\boxed{} or ####) in the solution")
    else:
        if isinstance(raw, dict):
            raise DataError(where, i, f.answer, "expected a string, a number or a list, got dict")
        gold = answer_text(raw)
        if not gold:
            raise DataError(where, i, f.answer, "missing or empty")
    if f.id and d.get(f.id) is not None and str(d[f.id]).strip():
        pid = f"{b.name}/{d[f.id]}"
    else:
        pid = f"{b.name}/{i - 1}"
    meta: dict[str, Any] = {}
    if f.subject:
        subj = d.get(f.subject)
        meta["subject"] = ", ".join(map(str, subj)) if isinstance(subj, list) else subj
    if f.level:
        meta["level"] = level_of(d.get(f.level))
    for k in f.meta:
        if k in d:
            meta[k] = d[k]
    if isinstance(solution, list):
        solution = "\n\n".join(map(str, solution))
    return Problem(id=pid, question=q, answer=gold, solution=solution if isinstance(solution, str) else None,
                   source=b.name, meta=meta)


def load_dataset(*args: Any, **kw: Any) -> Any:
    """`datasets.load_dataset`, imported when needed (the `train` extra)."""
    from mathdistill._optional import require

    return require("datasets", "train").load_dataset(*args, **kw)


def hub_rows(b: Benchmark, split: str) -> Iterator[dict[str, Any]]:
    """Rows of `b`'s Hub dataset for our `split` (a custom reader when the entry has one)."""
    if b.hub_rows is not None:
        yield from b.hub_rows(b, split)
        return
    if b.hub is None:
        raise MathdistillError(f"'{b.name}' has no Hugging Face Hub copy")
    h = b.hub
    kw: dict[str, Any] = {"split": h.splits[split]}
    if h.revision:
        kw["revision"] = h.revision
    yield from (load_dataset(h.id, h.config, **kw) if h.config else load_dataset(h.id, **kw))


def hub_error(b: Benchmark, split: str, e: BaseException, env: str) -> MathdistillError:
    """One line for a Hub failure: access for a gated set, else what went wrong and the local way."""
    local = f"or put {b.files[split]} in --data-dir DIR (or ${env})"
    text = f"{type(e).__name__}: {e}"
    if b.hub is not None and (b.hub.gated or "gated" in text.lower()) and _looks_like_access(text):
        return MathdistillError(
            f"'{b.name}': {b.hub.id} is gated on the Hugging Face Hub and this machine has no access: accept its "
            f"terms at https://huggingface.co/datasets/{b.hub.id} and log in (`hf auth login` or HF_TOKEN), {local}")
    if b.hub is None:
        return MathdistillError(f"'{b.name}' has no Hugging Face Hub copy: download it from {b.homepage or 'its source'} "
                                f"and put it in --data-dir DIR as {b.files[split]} (or set ${env})")
    first = text.splitlines()[0] if text else type(e).__name__
    return MathdistillError(f"could not load '{b.name}' from the Hugging Face Hub ({first}); pass --data-dir DIR "
                            f"or set ${env} to a folder with {b.files[split]}")


def _looks_like_access(text: str) -> bool:
    t = text.lower()
    return any(w in t for w in ("gated", "401", "403", "authenticat", "access", "token", "login"))


# --- the registry ----------------------------------------------------------------------------


class Registry(dict):
    """Benchmarks by name. A name may carry options after ':' (`arith:steps=1`): lookups use the
    base name, and a generated source with options draws few-shot exemplars from its own train split."""

    @staticmethod
    def _base(key: object) -> object:
        return key.split(":", 1)[0] if isinstance(key, str) and ":" in key and os.sep not in key else key

    def __contains__(self, key: object) -> bool:
        return super().__contains__(self._base(key))

    def __getitem__(self, key: str) -> Benchmark:
        spec = super().__getitem__(self._base(key))
        if key != spec.name and spec.generate is not None:
            spec = replace(spec, exemplar_source=(key, "train"))
        return spec

    def get(self, key: str, default: Benchmark | None = None) -> Benchmark | None:  # type: ignore[override]
        return self[key] if key in self else default  # noqa: SIM401 (self.get is this method)

    def add(self, b: Benchmark) -> Benchmark:
        if super().__contains__(b.name):
            raise ValueError(f"benchmark '{b.name}' is registered twice")
        dict.__setitem__(self, b.name, b)
        return b

    def unknown(self, name: str) -> MathdistillError:
        """The error for a name that is not registered, with the close names."""
        base = str(self._base(name))
        close = difflib.get_close_matches(base, list(self), n=3, cutoff=0.5)
        hint = f"did you mean {', '.join(close)}? " if close else ""
        return MathdistillError(f"unknown data source '{base}' ({hint}known: {', '.join(self)}, or a .jsonl path; "
                                "`mathdistill data list` shows them)")


SOURCES = Registry()


# --- data specs: NAME[:OPTIONS][:N] ------------------------------------------------------------


@dataclass(frozen=True)
class DataSpec:
    """One `--data` item: the source (with its options) and the samples per problem it asks for."""

    source: str
    n: int | None = None

    def __str__(self) -> str:
        return self.source if self.n is None else f"{self.source}:{self.n}"


_NUM = re.compile(r"[+-]?\d+")


def parse_data_spec(spec: str, *, is_path: Callable[[str], bool] | None = None) -> DataSpec:
    """`aime25:64` -> (aime25, 64); `arith:steps=1:4` -> (arith:steps=1, 4); a path stays whole.
    A last part that is a number must be >= 1; a registered non-generated benchmark takes no options."""
    s = spec.strip()
    if not s:
        raise MathdistillError("empty data source")
    if is_path is not None:
        head, sep, tail = s.rpartition(":")
        if sep and _NUM.fullmatch(tail.strip()) and is_path(head) and not Path(s).exists():
            return DataSpec(head, _count(spec, tail))
        if is_path(s):
            return DataSpec(s)
    base, sep, rest = s.partition(":")
    if not sep:
        return DataSpec(s)
    parts = rest.split(":")
    n: int | None = None
    if _NUM.fullmatch(parts[-1].strip()):
        n = _count(spec, parts[-1])
        parts = parts[:-1]
    b = SOURCES.get(base)
    if parts and b is not None and b.generate is None:
        raise MathdistillError(f"data source '{spec}': expected {base}:N with N a whole number of samples per "
                               f"problem, got '{':'.join(parts)}'")
    return DataSpec(":".join([base, *parts]), n)


def _count(spec: str, text: str) -> int:
    n = int(text)
    if n < 1:
        raise MathdistillError(f"data source '{spec}': samples per problem must be >= 1, got {n}")
    return n


def parse_data_specs(items: Iterable[str], **kw: Any) -> list[DataSpec]:
    return [parse_data_spec(x, **kw) for x in items]
