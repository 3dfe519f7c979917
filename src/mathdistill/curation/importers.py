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
answer (last \\boxed{} / text after '####'); one that marks no final answer (prose without a
box), an empty box or a blank answer is an error naming the file, line and field, never a
whole sentence used as gold. Lines of one problem (one id, or one question text without an id
field) must agree on the gold: each sample is graded against its own line's gold, so lines that
disagree would make a response a positive for another problem; they are an error naming both
lines (set an id field that tells the problems apart, or fix the gold).

Grading appends whole lines in chunks, so a killed import resumes where it stopped: samples
already in samples.jsonl are not regraded. The output folder is locked while the import runs.
"""

from __future__ import annotations

import hashlib
import re
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from mathdistill.curation.reader import is_no_answer
from mathdistill.errors import DataError, MathdistillError
from mathdistill.grading.apply import grade_samples
from mathdistill.grading.grader import reference_answer
from mathdistill.io.jsonl import JsonlAppender, done_keys, read_jsonl
from mathdistill.io.lock import output_lock
from mathdistill.records import Problem, Sample
from mathdistill.store.samples import SamplesDir, count_verdicts, stats_row

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
    from mathdistill.data.registry import level_of as lv

    return lv(v)


# Words outside maths: a gold with this many is a worked solution (or a sentence), not an answer.
_PROSE_WORDS = 6
_MATH_SPAN = re.compile(r"\$\$.*?\$\$|\$[^$]*\$|\\\(.*?\\\)|\\\[.*?\\\]|\\(?:text|mbox|mathrm)\{[^{}]*\}", re.DOTALL)
_WORD = re.compile(r"(?<![\\A-Za-z])[A-Za-z]{2,}")


def _reads_as_prose(text: str) -> bool:
    return len(_WORD.findall(_MATH_SPAN.sub(" ", text))) >= _PROSE_WORDS


def gold_from(raw: str, pid: str) -> tuple[str | None, str | None]:
    """(final answer, solution-or-None) from an answer field that may be a worked solution.

    The answer is None when the field marks none: an empty box (unless MATH's errata know the
    answer), a blank, or prose without a box or '####' (a reference solution whose box is missing)."""
    from mathdistill.data.benchmarks import MATH_ERRATA

    text = raw.strip()
    ref = reference_answer(text)
    if ref is not None or "\\boxed" in text or "\\fbox" in text:
        ans = ref.strip() if ref else ""
        return (ans or MATH_ERRATA.get(pid)), text
    if _reads_as_prose(text):
        return None, text
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
    first_line: dict[str, int] = {}
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
            why = ("it reads as a worked solution without a \\boxed{} or '####' final answer"
                   if solution and "\\boxed" not in solution and "\\fbox" not in solution else
                   "the final answer is empty")
            raise DataError(p, lineno, m.answer_field, f"no final answer could be read from it: {why}")
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
            first_line[pid] = lineno
        elif prob.question.strip() != q.strip():
            raise DataError(
                p,
                lineno,
                m.id_field or m.question_field,
                f"problem id '{pid}' seen before with a different question",
            )
        elif prob.answer.strip() != gold.strip():
            same = f"problem id '{pid}'" if m.id_field else "the same question (no id field)"
            raise DataError(
                p,
                lineno,
                m.answer_field,
                f"gold {gold!r} differs from {prob.answer!r} of {same} at line {first_line[pid]}; a "
                "response would be graded against another problem's answer (fix the gold, or set an id "
                "field that tells the problems apart)",
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
    with output_lock(out_dir, "import"):
        return _import_locked(path, SamplesDir(out_dir), mapping, workers=workers, limit=limit,
                              timeout_s=timeout_s, progress=progress)


def _import_locked(path: str | Path, out: SamplesDir, mapping: PoolMapping, *, workers: int, limit: int | None,
                   timeout_s: float, progress: bool) -> dict[str, Any]:
    from tqdm.auto import tqdm

    from mathdistill.grading import GradingPool

    t0 = time.perf_counter()
    check_resume(out, path, mapping)
    problems, samples = parse_pool(path, mapping, limit)
    # Written first so that a killed import still says what this dir holds (see check_resume).
    out.write_run({**run_meta(path, mapping, workers, limit, timeout_s), "status": "grading"})
    out.write_problems(problems)
    done = done_keys(out.samples_file)
    todo = [s for s in samples if (s.problem_id, s.sample_idx) not in done]
    t_parse = time.perf_counter() - t0
    # The pool is created before tqdm starts its monitor thread, so workers can be forked.
    with (
        GradingPool(workers, timeout_s) as pool,
        JsonlAppender(out.samples_file) as app,
        tqdm(
            total=len(samples),
            initial=len(samples) - len(todo),
            unit="sample",
            desc="grading",
            disable=not progress,
        ) as bar,
    ):
        for k in range(0, len(todo), CHUNK):
            chunk = todo[k:k + CHUNK]
            grade_samples(chunk, pool=pool, chunksize=32)
            app.write_many(chunk)
            bar.update(len(chunk))
    t_grade = time.perf_counter() - t0 - t_parse
    graded = {s.key: s for s in out.iter_samples()}
    want = {s.key for s in samples}
    missing = want - set(graded)
    if missing:
        raise DataError(out.samples_file, None, None, f"{len(missing)} samples missing after grading")
    summary = write_stats(out, [graded[k] for k in sorted(want)], [p.id for p in problems])
    summary.update(resumed=len(samples) - len(todo), graded_now=len(todo))
    timing = {
        "parse_s": round(t_parse, 2),
        "grade_s": round(t_grade, 2),
        "total_s": round(time.perf_counter() - t0, 2),
    }
    meta = run_meta(path, mapping, workers, limit, timeout_s)
    meta.update(counts=summary, timing=timing)
    out.write_run(meta)
    return {**summary, "timing": timing}


def run_meta(
    path: str | Path, mapping: PoolMapping, workers: int, limit: int | None, timeout_s: float
) -> dict:
    from mathdistill.grading import GRADER_VERSION
    from mathdistill.runinfo import run_metadata

    return run_metadata(
        config={
            "input": str(path),
            "mapping": asdict(mapping),
            "workers": workers,
            "limit": limit,
            "timeout_s": timeout_s,
        },
        prompt={
            "template": None,
            "note": "imported pool: the teacher prompt is not known; Sample.prompt holds "
            "the source question field",
        },
        sampling=None,
        seeds=None,
        grader=GRADER_VERSION,
        extra={"stage": "import", "source": str(path)},
    )


def check_resume(out: SamplesDir, path: str | Path, mapping: PoolMapping) -> None:
    """Refuse to resume into a dir that holds an import of another file or field mapping, or
    one graded by another grader version (its verdicts would be mixed with ours)."""
    from mathdistill.grading import GRADER_VERSION

    if not out.run_file.exists() or not out.has_samples() or out.samples_file.stat().st_size == 0:
        return
    meta = out.read_run()  # a run.json torn by a kill reads as {}: nothing to compare against
    if not meta:
        return
    cfg = meta.get("config") or {}
    if cfg.get("input") != str(path) or cfg.get("mapping") != asdict(mapping):
        raise MathdistillError(
            f"{out.path} already holds an import of {cfg.get('input')} (or another field mapping); "
            "use a new output dir"
        )
    if meta.get("grader") != GRADER_VERSION:
        raise MathdistillError(
            f"{out.path} was graded by {meta.get('grader')}, the current grader is {GRADER_VERSION}; "
            "use a new output dir (or delete its samples.jsonl to regrade)"
        )


def write_stats(out: SamplesDir, samples: list[Sample], problem_ids: list[str]) -> dict[str, Any]:
    """stats.jsonl (the store's schema, stop reason "imported") and the import's totals."""
    counts = count_verdicts(((s.problem_id, s.correct) for s in samples), problem_ids)
    no_answer = dict.fromkeys(counts, 0)
    for s in samples:
        no_answer[s.problem_id] += is_no_answer(s)
    out.write_stats(stats_row(pid, c.trials, c.correct, stop_reason="imported", no_answer=no_answer[pid])
                    for pid, c in counts.items())
    return {
        "problems": len(counts),
        "samples": len(samples),
        "positives": sum(c.correct for c in counts.values()),
        "negatives": sum(c.trials - c.correct for c in counts.values()),
        "no_answer": sum(no_answer.values()),
        "problems_0_correct": sum(c.correct == 0 for c in counts.values()),
        "problems_all_correct": sum(c.correct == c.trials > 0 for c in counts.values()),
        "samples_per_problem_max": max((c.trials for c in counts.values()), default=0),
    }
