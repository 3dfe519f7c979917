"""Loading problems: a registered benchmark (`mathdistill.data.benchmarks`) or any local JSONL.

Named sources read local files from `data_dir` (or $MATHDISTILL_DATA) when given, else
load from the Hugging Face Hub through `datasets` (needs network). Every Problem gets a
stable id and the gold *final* answer.
"""

from __future__ import annotations

import os
from pathlib import Path

from mathdistill.data.benchmarks import SOURCES
from mathdistill.data.registry import Benchmark, hub_error, hub_rows, level_of, parse_data_spec, require_field
from mathdistill.errors import ConfigError, DataError, MathdistillError
from mathdistill.grading.grader import reference_answer
from mathdistill.io.jsonl import read_jsonl
from mathdistill.records import Problem

DATA_ENV = "MATHDISTILL_DATA"


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
    seed: int = 0,
) -> list[Problem]:
    """Load problems from a named source or a local JSONL path. A trailing `:N` (samples per problem)
    is the caller's business and ignored here; `seed` orders the options of multiple-choice sets."""
    if limit is not None and limit < 1:
        raise ConfigError(f"limit must be >= 1, got {limit}")  # probs[:-5] would be all but the last 5
    if is_local_file(source):
        probs = load_local_jsonl(source, question_field=question_field, answer_field=answer_field,
                                 id_field=id_field)
    else:
        source = parse_data_spec(source).source
        spec = SOURCES.get(source)
        if spec is None:
            raise SOURCES.unknown(source)
        if split not in spec.files:
            raise MathdistillError(f"source '{source}' has no split '{split}' (splits: {', '.join(spec.files)})")
        d = resolve_data_dir(data_dir)
        kw = {"seed": seed} if spec.gold == "choice" else {}
        if spec.generate is not None:
            probs = spec.generate(source, split, limit)
        elif d is not None:
            path = d / spec.files[split]
            if not path.exists():
                hub = (f"; without a data dir '{spec.name}' loads from the Hugging Face Hub ({spec.hub.id})"
                       if spec.hub is not None else "")
                raise DataError(path, None, None, f"file not found (data dir from --data-dir or ${DATA_ENV}){hub}")
            probs = [_convert(spec, row, str(path), i, split, kw) for i, row in read_jsonl(path)
                     if spec.keep is None or spec.keep(row)]
        else:
            try:
                rows = list(hub_rows(spec, split))
            except Exception as e:  # network / hub errors: one clear line
                raise hub_error(spec, split, e, DATA_ENV) from e
            probs = [_convert(spec, row, f"hub:{source}/{split}", i, split, kw) for i, row in enumerate(rows, 1)
                     if spec.keep is None or spec.keep(row)]
    if not probs:
        # Sampling, evaluating or showing nothing would otherwise "succeed" with empty results.
        raise DataError(source if is_local_file(source) else f"{source}/{split}", None, None,
                        "no problems (an empty file?)")
    return probs[:limit] if limit is not None else probs


def _convert(spec: Benchmark, row: dict, where: str, i: int, split: str, kw: dict) -> Problem:
    try:
        return spec.to_problem(row, where, i, split, **kw)
    except DataError as e:
        if e.field and e.field not in row:  # a file in another schema: say which one this source reads
            want = ", ".join(dict.fromkeys(f for f in (spec.fields.question, spec.fields.answer) if f))
            raise DataError(e.path, e.line, e.field, f"missing: '{spec.name}' rows have the fields of "
                            f"its Hub dataset ({want}, ...); this row has {', '.join(map(str, row)) or 'none'}"
                            ) from None
        raise


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
        q = require_field(d, qf, str(p), lineno)
        raw = require_field(d, af, str(p), lineno)
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
            pid = str(require_field(d, id_field, str(p), lineno))
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
            meta["level"] = level_of(meta["level"])
        out.append(Problem(id=pid, question=str(q), answer=ans, solution=solution or d.get("solution"),
                           source=p.stem, meta=meta))
    return out
