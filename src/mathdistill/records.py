"""Records that flow between stages as JSONL lines.

Records are small mutable dataclasses with `to_dict` / `from_dict`. `from_dict` is strict
about required fields and types so that a bad line fails loudly with file, line and field
(see `mathdistill.io.jsonl`), never as a silent None row.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, ClassVar


class RecordFieldError(ValueError):
    """A field of a record dict is missing or has the wrong type."""

    def __init__(self, field_name: str, msg: str):
        self.field = field_name
        super().__init__(msg)


def _check(d: dict, name: str, types: tuple[type, ...], required: bool, allow_empty: bool = True) -> Any:
    if name not in d or d[name] is None:
        if required:
            raise RecordFieldError(name, "missing required field")
        return None
    v = d[name]
    if bool in types and isinstance(v, bool):
        return v
    if isinstance(v, bool) and bool not in types:
        raise RecordFieldError(name, f"expected {'/'.join(t.__name__ for t in types)}, got bool")
    if not isinstance(v, types):
        raise RecordFieldError(name, f"expected {'/'.join(t.__name__ for t in types)}, got {type(v).__name__}")
    if not allow_empty and isinstance(v, str) and not v.strip():
        raise RecordFieldError(name, "is empty")
    return v


@dataclass
class Problem:
    """A question with its gold final answer.

    `answer` is the gold *final answer* string (e.g. "18", "\\frac{1}{2}"), not a worked
    solution; `solution` holds the worked solution when the source has one.
    """

    id: str
    question: str
    answer: str
    solution: str | None = None
    source: str = ""
    meta: dict[str, Any] = field(default_factory=dict)

    KEY: ClassVar[tuple[str, ...]] = ("id",)

    @property
    def subject(self) -> str | None:
        return self.meta.get("subject")

    @property
    def level(self) -> str | None:
        lv = self.meta.get("level")
        return None if lv is None else str(lv)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Problem:
        pid = _check(d, "id", (str, int), True)
        return cls(
            id=str(pid),
            question=_check(d, "question", (str,), True, allow_empty=False),
            answer=str(_check(d, "answer", (str, int, float), True, allow_empty=False)),
            solution=_check(d, "solution", (str,), False),
            source=_check(d, "source", (str,), False) or "",
            meta=_check(d, "meta", (dict,), False) or {},
        )


@dataclass
class Sample:
    """One teacher/student response to one problem, possibly graded.

    (problem_id, sample_idx) is the resume key: a rerun skips keys already on disk.
    """

    problem_id: str
    sample_idx: int
    prompt: str
    response: str
    finish_reason: str | None = None
    num_tokens: int | None = None
    teacher: str = ""
    temperature: float | None = None
    top_p: float | None = None
    max_tokens: int | None = None
    seed: int | None = None
    answer: str | None = None  # gold final answer, copied so a samples file can be graded alone
    pred: str | None = None
    correct: bool | None = None
    rule: str | None = None
    error: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)
    # Reasoning models (long chain of thought): `response` is then the answer part after the reasoning.
    reasoning: str | None = None  # the thinking part; None when the model wrote none
    reasoning_closed: bool | None = None  # False: the reasoning never ended (the token budget ran out)
    reasoning_tokens: int | None = None  # tokens of the reasoning part, when the backend or parser knows

    KEY: ClassVar[tuple[str, ...]] = ("problem_id", "sample_idx")
    # Written only when set, so short chain-of-thought files stay as they were.
    OPTIONAL: ClassVar[tuple[str, ...]] = ("reasoning", "reasoning_closed", "reasoning_tokens")

    @property
    def key(self) -> tuple[str, int]:
        return (self.problem_id, self.sample_idx)

    @property
    def truncated(self) -> bool:
        """Cut before its end: by the token budget, an abort, or a reasoning part that never closed.
        A truncated sample is never graded from inside its reasoning."""
        return self.finish_reason in ("length", "abort") or self.reasoning_closed is False

    def to_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        for k in self.OPTIONAL:
            if d[k] is None:
                del d[k]
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Sample:
        num = (int, float)
        return cls(
            problem_id=str(_check(d, "problem_id", (str, int), True)),
            sample_idx=_check(d, "sample_idx", (int,), True),
            prompt=_check(d, "prompt", (str,), True),
            response=_check(d, "response", (str,), True),
            finish_reason=_check(d, "finish_reason", (str,), False),
            num_tokens=_check(d, "num_tokens", (int,), False),
            teacher=_check(d, "teacher", (str,), False) or "",
            temperature=_check(d, "temperature", num, False),
            top_p=_check(d, "top_p", num, False),
            max_tokens=_check(d, "max_tokens", (int,), False),
            seed=_check(d, "seed", (int,), False),
            answer=_opt_str(d, "answer"),
            pred=_check(d, "pred", (str,), False),
            correct=_check(d, "correct", (bool,), False),
            rule=_check(d, "rule", (str,), False),
            error=_check(d, "error", (str,), False),
            meta=_check(d, "meta", (dict,), False) or {},
            reasoning=_check(d, "reasoning", (str,), False),
            reasoning_closed=_check(d, "reasoning_closed", (bool,), False),
            reasoning_tokens=_check(d, "reasoning_tokens", (int,), False),
        )


def _opt_str(d: dict, name: str) -> str | None:
    v = _check(d, name, (str, int, float), False)
    return None if v is None else str(v)
