"""Import released teacher pools into the samples-dir format, graded with our grader.

Output (same as the sampling stage, so later stages cannot tell the difference):
`problems.jsonl` (Problem), `samples.jsonl` (graded Sample lines), `stats.jsonl` (per
problem: problem_id, trials, correct, pass_rate, stop_reason) and `run.json`.

Two input shapes are accepted, one JSON object per line:
- one problem with a list of responses (TDG: `question`, `answer` = reference solution,
  `generated_answer` = 8 samples);
- one response per line (DART-Math pools, RFT data: `query`, `response`, ...), grouped by
  the id field, or by the question text when there is no id.

The gold answer is read from the answer field: a worked solution is reduced to its final
answer (last \\boxed{} / text after '####'). Grading appends whole lines in chunks, so a
killed import resumes where it stopped: samples already in samples.jsonl are not regraded.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mathdistill.curation.writer import check_resume, run_meta, write_json, write_stats
from mathdistill.errors import DataError
from mathdistill.grading.grader import reference_answer
from mathdistill.io.jsonl import JsonlAppender, done_keys, read_jsonl, read_records, write_jsonl
from mathdistill.records import Problem, Sample

CHUNK = 500  # graded samples appended per write (the resume granularity)


@dataclass
class PoolMapping:
    """Which input fields hold what. Field names follow the input file, not ours."""

    question_field: str = "question"
    responses_field: str = "responses"  # a list of strings, or one string per line
    answer_field: str = "answer"  # final answer or a worked solution (reduced to its final answer)
    id_field: str | None = None  # default: hash of the question text
    solution_field: str | None = None  # reference solution; default: the answer field if it is a solution
    subject_field: str | None = None
    level_field: str | None = None
    teacher_field: str | None = None
    teacher: str = ""  # used when there is no teacher field
    label_field: str | None = None  # the source's own correctness label, kept as meta.source_label
    strip_prefixes: list[str] = field(default_factory=list)  # removed from the question text
    source: str = "pool"


TDG_MAPPING = PoolMapping(
    question_field="question",
    responses_field="generated_answer",
    answer_field="answer",
    id_field="unique_id",
    subject_field="type",
    level_field="level",
    teacher_field="teacher",
    strip_prefixes=["Problem:\n"],
    source="tdg",
)


def _level(v: Any) -> Any:
    from mathdistill.data.sources import _level as lv

    return lv(v)


def gold_from(raw: str, pid: str) -> tuple[str | None, str | None]:
    """(final answer, solution-or-None) from an answer field that may be a worked solution."""
    from mathdistill.data.sources import MATH_ERRATA

    text = raw.strip()
    ref = reference_answer(text)
    if ref is not None or "\\boxed" in text or "\\fbox" in text:
        return (ref or MATH_ERRATA.get(pid)), text
    return text or None, None


def parse_pool(
    path: str | Path, m: PoolMapping, limit: int | None = None
) -> tuple[list[Problem], list[Sample]]:
    """Problems and (ungraded) samples of a pool file; bad lines raise DataError(file, line, field).

    With `limit`, reading stops at the first line of the (limit+1)-th problem.
    """
    p = Path(path)
    problems: dict[str, Problem] = {}
    samples: list[Sample] = []
    n_per: dict[str, int] = {}
    for lineno, d in read_jsonl(p):

        def req(key: str, d: dict = d, lineno: int = lineno) -> Any:
            v = d.get(key)
            if v is None or (isinstance(v, str) and not v.strip()):
                raise DataError(p, lineno, key, "missing or empty")
            return v

        q = req(m.question_field)
        if not isinstance(q, str):
            raise DataError(p, lineno, m.question_field, f"expected a string, got {type(q).__name__}")
        for pre in m.strip_prefixes:
            q = q.removeprefix(pre)
        resp = req(m.responses_field)
        if isinstance(resp, str):
            resp = [resp]
        if not isinstance(resp, list) or not all(isinstance(r, str) for r in resp):
            raise DataError(p, lineno, m.responses_field, "expected a string or a list of strings")
        raw_ans = req(m.answer_field)
        if not isinstance(raw_ans, str | int | float) or isinstance(raw_ans, bool):
            raise DataError(
                p, lineno, m.answer_field, f"expected a string or number, got {type(raw_ans).__name__}"
            )
        if m.id_field:
            pid = str(req(m.id_field))
        else:
            pid = "q/" + hashlib.sha1(q.strip().encode()).hexdigest()[:16]
        gold, solution = gold_from(str(raw_ans), pid)
        if not gold:
            raise DataError(p, lineno, m.answer_field, "no final answer could be read from it")
        if m.solution_field and isinstance(d.get(m.solution_field), str):
            solution = d[m.solution_field]
        meta: dict[str, Any] = {}
        if m.subject_field and d.get(m.subject_field) is not None:
            meta["subject"] = d[m.subject_field]
        if m.level_field and d.get(m.level_field) is not None:
            meta["level"] = _level(d[m.level_field])
        prob = problems.get(pid)
        if prob is None and limit is not None and len(problems) >= limit:
            break
        if prob is None:
            problems[pid] = Problem(
                id=pid, question=q, answer=gold, solution=solution, source=m.source, meta=meta
            )
        elif prob.question.strip() != q.strip():
            raise DataError(
                p,
                lineno,
                m.id_field or m.question_field,
                f"problem id '{pid}' seen before with a different question",
            )
        teacher = str(d.get(m.teacher_field) or m.teacher) if m.teacher_field else m.teacher
        smeta = dict(meta)
        if m.label_field and m.label_field in d:
            smeta["source_label"] = d[m.label_field]
        for r in resp:
            idx = n_per.get(pid, 0)
            n_per[pid] = idx + 1
            samples.append(
                Sample(
                    problem_id=pid,
                    sample_idx=idx,
                    prompt=str(d[m.question_field]),
                    response=r,
                    teacher=teacher,
                    answer=gold,
                    meta=smeta,
                )
            )
    if not samples:
        raise DataError(p, None, None, "no samples in the file")
    return list(problems.values()), samples


def import_pool(
    path: str | Path,
    out_dir: str | Path,
    mapping: PoolMapping,
    *,
    workers: int = 2,
    limit: int | None = None,
    timeout_s: float = 5.0,
    progress: bool = True,
) -> dict[str, Any]:
    """Parse, grade (resumably) and write a samples dir; return the summary counts."""
    from tqdm.auto import tqdm

    from mathdistill.grading import GradingPool

    t0 = time.perf_counter()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    check_resume(out, path, mapping)
    problems, samples = parse_pool(path, mapping, limit)
    # Written first so that a killed import still says what this dir holds (see check_resume).
    write_json(out / "run.json", {**run_meta(path, mapping, workers, limit, timeout_s), "status": "grading"})
    write_jsonl(out / "problems.jsonl", problems)
    sp = out / "samples.jsonl"
    done = done_keys(sp)
    todo = [s for s in samples if (s.problem_id, s.sample_idx) not in done]
    t_parse = time.perf_counter() - t0
    # The pool is created before tqdm starts its monitor thread, so workers can be forked.
    with (
        GradingPool(workers, timeout_s) as pool,
        JsonlAppender(sp) as app,
        tqdm(
            total=len(samples),
            initial=len(samples) - len(todo),
            unit="sample",
            desc="grading",
            disable=not progress,
        ) as bar,
    ):
        buf: list[Sample] = []
        grades = pool.imap(((s.response, s.answer, s.finish_reason) for s in todo), chunksize=32)
        for s, g in zip(todo, grades, strict=True):
            s.correct, s.pred, s.rule, s.error = g.correct, g.pred, g.rule, g.error
            buf.append(s)
            if len(buf) >= CHUNK:
                app.write_many(buf)
                bar.update(len(buf))
                buf = []
        app.write_many(buf)
        bar.update(len(buf))
    t_grade = time.perf_counter() - t0 - t_parse
    graded = {s.key: s for s in read_records(sp, Sample)}
    want = {s.key for s in samples}
    missing = want - set(graded)
    if missing:
        raise DataError(sp, None, None, f"{len(missing)} samples missing after grading")
    summary = write_stats(out, [graded[k] for k in sorted(want)], [p.id for p in problems])
    summary.update(resumed=len(samples) - len(todo), graded_now=len(todo))
    timing = {
        "parse_s": round(t_parse, 2),
        "grade_s": round(t_grade, 2),
        "total_s": round(time.perf_counter() - t0, 2),
    }
    meta = run_meta(path, mapping, workers, limit, timeout_s)
    meta.update(counts=summary, timing=timing)
    write_json(out / "run.json", meta)
    return {**summary, "timing": timing}
