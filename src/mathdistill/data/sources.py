"""Problem sources: gsm8k, math, math500, svamp, asdiv, arith (generated), and any local JSONL.

Named sources read local files from `data_dir` (or $MATHDISTILL_DATA) when given, else
load from the Hugging Face Hub through `datasets` (needs network). Every Problem gets a
stable id and the gold *final* answer.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mathdistill.errors import DataError, MathdistillError
from mathdistill.grading.grader import reference_answer
from mathdistill.io.jsonl import read_jsonl
from mathdistill.records import Problem

DATA_ENV = "MATHDISTILL_DATA"


@dataclass(frozen=True)
class SourceSpec:
    name: str
    files: dict[str, str]  # split -> local file name
    convert: Callable[[dict[str, Any], str, int, str], Problem]
    hub: Callable[[str], Iterator[dict[str, Any]]]
    exemplar_source: tuple[str, str]  # (source, split) few-shot exemplars come from
    default_template: str
    # (name, split, limit) -> problems, no files; the stream is a prefix, so a limit stops it early
    generate: Callable[[str, str, int | None], list[Problem]] | None = None


def _level(v: Any) -> int | str | None:
    if v is None:
        return None
    m = re.search(r"\d+", str(v))
    return int(m.group(0)) if m else str(v)


def _req(d: dict, key: str, path: str, lineno: int) -> Any:
    if key not in d or d[key] is None or (isinstance(d[key], str) and not d[key].strip()):
        raise DataError(path, lineno, key, "missing or empty")
    return d[key]


# --- converters: raw row -> Problem --------------------------------------------------------


def _gsm8k(d: dict, where: str, i: int, split: str) -> Problem:
    sol = _req(d, "answer", where, i)
    gold = reference_answer(sol)
    if not gold:
        raise DataError(where, i, "answer", "no '#### <answer>' marker in the solution")
    return Problem(id=f"gsm8k/{split}/{i - 1}", question=_req(d, "question", where, i), answer=gold,
                   solution=sol, source="gsm8k")


# Known errata of the MATH release: the solution ends in an empty \boxed{}. Both are
# multiple-choice questions whose text shows the answer is "0" (no primes in the range).
MATH_ERRATA = {"train/number_theory/7115.json": "0", "train/number_theory/7117.json": "0"}


def _math(d: dict, where: str, i: int, split: str) -> Problem:
    sol = _req(d, "solution", where, i)
    gold = reference_answer(sol) or MATH_ERRATA.get(d.get("unique_id", ""))
    if not gold:
        raise DataError(where, i, "solution", "no \\boxed{} answer in the solution")
    pid = d.get("unique_id") or f"math/{i - 1}"
    meta = {"subject": d.get("type") or d.get("subject"), "level": _level(d.get("level"))}
    return Problem(id=pid, question=_req(d, "problem", where, i), answer=gold, solution=sol,
                   source="math", meta=meta)


def _math500(d: dict, where: str, i: int, split: str) -> Problem:
    meta = {"subject": d.get("subject"), "level": _level(d.get("level"))}
    return Problem(id=_req(d, "unique_id", where, i), question=_req(d, "problem", where, i),
                   answer=str(_req(d, "answer", where, i)).strip(), solution=d.get("solution"),
                   source="math500", meta=meta)


def _svamp(d: dict, where: str, i: int, split: str) -> Problem:
    q = d.get("question") or (str(d.get("Body", "")).strip().rstrip(".") + ". " + str(d.get("Question", "")).strip())
    ans = d.get("answer", d.get("Answer"))
    if ans is None:
        raise DataError(where, i, "answer", "missing or empty")
    if isinstance(ans, float) and ans.is_integer():
        ans = int(ans)
    return Problem(id=f"svamp/{d.get('ID', i - 1)}", question=q, answer=str(ans), source="svamp",
                   meta={"subject": d.get("Type")})


def _asdiv(d: dict, where: str, i: int, split: str) -> Problem:
    q = d.get("question") or (str(d.get("body", d.get("Body", ""))).strip() + " " +
                              str(d.get("Question", d.get("question", ""))).strip())
    ans = d.get("answer")
    if ans is None and d.get("Answer") is not None:
        ans = re.sub(r"\s*\([^)]*\)", "", str(d["Answer"])).strip()
    if ans is None or not str(ans).strip():
        raise DataError(where, i, "answer", "missing or empty")
    return Problem(id=f"asdiv/{d.get('ID', i - 1)}", question=q, answer=str(ans), source="asdiv",
                   meta={"subject": d.get("Solution-Type"), "level": d.get("Grade")})


# --- hub loaders (real code; needs network and `datasets`) ---------------------------------

_MATH_SUBJECTS = ["algebra", "counting_and_probability", "geometry", "intermediate_algebra",
                  "number_theory", "prealgebra", "precalculus"]


def _load_dataset(*args: Any, **kw: Any) -> Any:
    from mathdistill._optional import require

    return require("datasets", "train").load_dataset(*args, **kw)


def _hub_gsm8k(split: str) -> Iterator[dict]:
    yield from _load_dataset("openai/gsm8k", "main", split=split)


def _hub_math(split: str) -> Iterator[dict]:
    for subj in _MATH_SUBJECTS:
        for j, row in enumerate(_load_dataset("EleutherAI/hendrycks_math", subj, split=split)):
            yield {**row, "unique_id": f"{split}/{subj}/{j}.json"}


def _hub_math500(split: str) -> Iterator[dict]:
    yield from _load_dataset("HuggingFaceH4/MATH-500", split="test")


def _hub_svamp(split: str) -> Iterator[dict]:
    for s in ("train", "test"):
        yield from _load_dataset("ChilleD/SVAMP", split=s)


def _hub_asdiv(split: str) -> Iterator[dict]:
    yield from _load_dataset("EleutherAI/asdiv", split="validation")


class _Sources(dict):
    """Source specs by name. A name may carry options after ':' (`arith:steps=1`): lookups use
    the base name, and a parameterised source draws few-shot exemplars from its own train split."""

    @staticmethod
    def _base(key: object) -> object:
        return key.split(":", 1)[0] if isinstance(key, str) and ":" in key and os.sep not in key else key

    def __contains__(self, key: object) -> bool:
        return super().__contains__(self._base(key))

    def __getitem__(self, key: str) -> SourceSpec:
        spec = super().__getitem__(self._base(key))
        if key != spec.name and spec.generate is not None:
            import dataclasses

            spec = dataclasses.replace(spec, exemplar_source=(key, "train"))
        return spec

    def get(self, key: str, default: SourceSpec | None = None) -> SourceSpec | None:  # type: ignore[override]
        return self[key] if key in self else default  # noqa: SIM401 (self.get is this method)


def _arith(source: str, split: str, limit: int | None = None) -> list[Problem]:
    from mathdistill.data.arith import load

    return load(source, split, limit)


def _no_hub(split: str) -> Iterator[dict]:
    raise MathdistillError("a generated source has no hub data")


SOURCES: dict[str, SourceSpec] = _Sources({
    "gsm8k": SourceSpec("gsm8k", {"train": "gsm8k_train.jsonl", "test": "gsm8k_test.jsonl"}, _gsm8k,
                        _hub_gsm8k, ("gsm8k", "train"), "gsm8k"),
    "math": SourceSpec("math", {"train": "math_train.jsonl", "test": "math_test.jsonl"}, _math, _hub_math,
                       ("math", "train"), "boxed_cot"),
    "math500": SourceSpec("math500", {"test": "math500_test.jsonl"}, _math500, _hub_math500,
                          ("math", "train"), "boxed_cot"),
    "svamp": SourceSpec("svamp", {"test": "svamp.jsonl"}, _svamp, _hub_svamp, ("gsm8k", "train"), "gsm8k"),
    "asdiv": SourceSpec("asdiv", {"test": "asdiv.jsonl"}, _asdiv, _hub_asdiv, ("gsm8k", "train"), "gsm8k"),
    # Generated on the fly (mathdistill.data.arith): no files, no network.
    "arith": SourceSpec("arith", {"train": "", "test": ""}, _gsm8k, _no_hub, ("arith", "train"), "gsm8k",
                        generate=_arith),
})


def resolve_data_dir(data_dir: str | os.PathLike | None) -> Path | None:
    d = data_dir or os.environ.get(DATA_ENV)
    return Path(d) if d else None


def is_local_file(source: str) -> bool:
    return source.endswith((".jsonl", ".jsonl.gz", ".json")) or os.sep in source or Path(source).is_file()


def load_problems(
    source: str,
    split: str = "test",
    *,
    data_dir: str | os.PathLike | None = None,
    limit: int | None = None,
    question_field: str | None = None,
    answer_field: str | None = None,
    id_field: str | None = None,
) -> list[Problem]:
    """Load problems from a named source or a local JSONL path."""
    if is_local_file(source):
        probs = load_local_jsonl(source, question_field=question_field, answer_field=answer_field,
                                 id_field=id_field)
    else:
        spec = SOURCES.get(source)
        if spec is None:
            raise MathdistillError(f"unknown data source '{source}' (known: {', '.join(SOURCES)}, or a .jsonl path)")
        if split not in spec.files:
            raise MathdistillError(f"source '{source}' has no split '{split}' (splits: {', '.join(spec.files)})")
        d = resolve_data_dir(data_dir)
        if spec.generate is not None:
            probs = spec.generate(source, split, limit)
        elif d is not None:
            path = d / spec.files[split]
            if not path.exists():
                raise DataError(path, None, None, f"file not found (data dir from --data-dir or ${DATA_ENV})")
            probs = [spec.convert(row, str(path), i, split) for i, row in read_jsonl(path)]
        else:
            try:
                rows = list(spec.hub(split))
            except Exception as e:  # network / hub errors: one clear line
                raise MathdistillError(
                    f"could not load '{source}' from the Hugging Face Hub ({type(e).__name__}: {e}); "
                    f"pass --data-dir DIR or set ${DATA_ENV} to a folder with {spec.files[split]}"
                ) from e
            probs = [spec.convert(row, f"hub:{source}/{split}", i, split) for i, row in enumerate(rows, 1)]
    return probs[:limit] if limit is not None else probs


_Q_FIELDS = ("question", "problem", "query", "prompt", "instruction")
_A_FIELDS = ("answer", "gold", "ref_ans", "final_answer", "gt_ans", "target")
_ID_FIELDS = ("id", "unique_id", "problem_id", "query_id", "idx")


def load_local_jsonl(
    path: str | os.PathLike,
    *,
    question_field: str | None = None,
    answer_field: str | None = None,
    id_field: str | None = None,
) -> list[Problem]:
    """Problems from any JSONL; fields default to common names, answers may be solutions.

    An answer holding a worked solution is reduced to its final answer: text after '####',
    or the last \\boxed{}.
    """
    p = Path(path)
    out, seen = [], set()
    for lineno, d in read_jsonl(p):
        qf = question_field or next((f for f in _Q_FIELDS if f in d), _Q_FIELDS[0])
        af = answer_field or next((f for f in _A_FIELDS if f in d), _A_FIELDS[0])
        q = _req(d, qf, str(p), lineno)
        raw = _req(d, af, str(p), lineno)
        if isinstance(raw, list | dict):
            raise DataError(p, lineno, af, f"expected a string or number, got {type(raw).__name__}")
        ans = str(raw).strip()
        solution = None
        ref = reference_answer(ans)
        if ref is not None or "\\boxed" in ans or "\\fbox" in ans:
            solution, ans = ans, ref or ""
        if not ans:
            raise DataError(p, lineno, af, "no final answer could be read from it")
        if id_field:
            pid = str(_req(d, id_field, str(p), lineno))
        else:
            idf = next((f for f in _ID_FIELDS if d.get(f) is not None), None)
            pid = str(d[idf]) if idf else f"{p.stem}/{lineno - 1}"
        if pid in seen:
            raise DataError(p, lineno, id_field or "id", f"duplicate problem id '{pid}'")
        seen.add(pid)
        meta = {k: d[k] for k in ("subject", "type", "level") if k in d}
        if "type" in meta and "subject" not in meta:
            meta["subject"] = meta.pop("type")
        if "level" in meta:
            meta["level"] = _level(meta["level"])
        out.append(Problem(id=pid, question=str(q), answer=ans, solution=solution or d.get("solution"),
                           source=p.stem, meta=meta))
    return out
