"""The samples folder: the file names, their readers, the per-problem stats and the resume guard.

A samples folder is what sampling, `curate import` and the union of rounds write, and what
`grade --regrade`, curation and reports read:

  samples.jsonl   every sample, graded (the source of truth; append-only, whole lines)
  stats.jsonl     one row per problem, derived from the samples and rewritten whole
  run.json        how the samples were made (config, prompt, sampling, seeds, grader, resume_key)
  problems.jsonl  the problems themselves, so later stages never need the original source
  logprobs.*      with `sample --logprobs K`: the teacher's top-K token log-probs (store.logprobs)
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

from mathdistill.errors import ConfigError, DataError
from mathdistill.io.atomic import read_json, write_json_atomic
from mathdistill.io.jsonl import read_jsonl, read_records, write_jsonl
from mathdistill.io.settings import settings_changes
from mathdistill.records import Problem, RecordFieldError, Sample
from mathdistill.store.difficulty import exact
from mathdistill.store.logprobs import clear as clear_logprobs

SAMPLES, STATS, RUN, PROBLEMS = "samples.jsonl", "stats.jsonl", "run.json", "problems.jsonl"
CONFIG = "config.yaml"  # the resolved config beside run.json (mathdistill.config.save_resolved)
SHARDS = "shards"  # `--ray`: one resumable samples folder per actor


@dataclass(frozen=True)
class Repeat:
    """A line whose (problem_id, sample_idx) an earlier line already has: the earlier one is kept.
    `conflicting` when the two disagree (reasoning, response, extracted answer or verdict)."""

    file: Path
    line: int
    first_line: int
    key: tuple[str, int]
    conflicting: bool

    def __str__(self) -> str:
        what = "another sample" if self.conflicting else "the same sample"
        return f"{self.file}:{self.line}: {self.key} repeats line {self.first_line} ({what})"


class SamplesDir:
    """One samples folder. Nothing is read until asked for; writers replace files whole."""

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)

    def __repr__(self) -> str:
        return f"SamplesDir({str(self.path)!r})"

    @property
    def samples_file(self) -> Path:
        return self.path / SAMPLES

    @property
    def stats_file(self) -> Path:
        return self.path / STATS

    @property
    def run_file(self) -> Path:
        return self.path / RUN

    @property
    def problems_file(self) -> Path:
        return self.path / PROBLEMS

    @property
    def shards_dir(self) -> Path:
        return self.path / SHARDS

    def has_samples(self) -> bool:
        return self.samples_file.exists()

    def require(self) -> SamplesDir:
        """This folder, or a DataError when it holds no samples."""
        if not self.path.is_dir() or not self.has_samples():
            raise DataError(self.samples_file, None, None, "not a samples dir (no samples.jsonl)")
        return self

    # ------------------------------------------------------------------ readers

    def iter_samples(self) -> Iterator[Sample]:
        """Every sample on disk, graded or not; a torn last line (a killed writer) is no sample."""
        return read_records(self.samples_file, Sample, allow_torn_tail=True)

    def read_graded(self) -> tuple[list[Sample], list[Repeat]]:
        """Graded samples; a repeated (problem_id, sample_idx) keeps the first. Returns (samples, repeats)."""
        out: list[Sample] = []
        first: dict[tuple[str, int], tuple[int, Sample]] = {}
        repeats: list[Repeat] = []
        for lineno, d in read_jsonl(self.samples_file, allow_torn_tail=True):
            try:
                s = Sample.from_dict(d)
            except RecordFieldError as e:
                raise DataError(self.samples_file, lineno, e.field, str(e)) from None
            if s.correct is None:
                raise DataError(self.samples_file, lineno, "correct", "sample is not graded (run the grader first)")
            if s.key in first:
                line0, s0 = first[s.key]
                conflict = (s.reasoning, s.response, s.pred, s.correct) != (s0.reasoning, s0.response, s0.pred,
                                                                             s0.correct)
                repeats.append(Repeat(self.samples_file, lineno, line0, s.key, conflict))
                continue
            first[s.key] = (lineno, s)
            out.append(s)
        return out, repeats

    def last_sample_line(self) -> dict[str, Any] | None:
        """The last whole line of samples.jsonl, parsed; None when there is none. Read from the end:
        a samples file can hold millions of lines."""
        if not self.has_samples():
            return None
        with open(self.samples_file, "rb") as f:
            end = f.seek(0, os.SEEK_END)
            block, buf = 1 << 16, b""
            pos = end
            while pos > 0:
                step = min(block, pos)
                pos -= step
                f.seek(pos)
                buf = f.read(step) + buf
                lines = buf.split(b"\n")
                # lines[0] may be cut by the block edge unless the file starts there; the last one
                # is a torn tail (a killed writer) or empty.
                whole = lines[1:-1] if pos > 0 else lines[:-1]
                for raw in reversed(whole):
                    if not raw.strip():
                        continue
                    try:
                        d = json.loads(raw)
                    except ValueError:
                        raise DataError(self.samples_file, None, None, "last whole line is not JSON") from None
                    return d if isinstance(d, dict) else None
                block *= 2
        return None

    def read_problems(self) -> dict[str, Problem] | None:
        """problem id -> Problem from problems.jsonl; None when the folder has none."""
        if not self.problems_file.exists():
            return None
        return {p.id: p for p in read_records(self.problems_file, Problem)}

    def read_stats(self) -> dict[str, dict[str, Any]]:
        """problem id -> stats row; {} when there is no stats file."""
        out: dict[str, dict[str, Any]] = {}
        if self.stats_file.exists():
            for lineno, row in read_jsonl(self.stats_file, allow_torn_tail=True):
                if "problem_id" not in row:
                    raise DataError(self.stats_file, lineno, "problem_id", "missing required field")
                out[str(row["problem_id"])] = row
        return out

    def read_run(self, *, strict: bool = False) -> dict[str, Any]:
        """run.json; {} when missing. A torn one (kill -9 while writing) reads as {} too, unless
        `strict`, where any malformed run.json is a DataError."""
        if strict and self.run_file.exists():
            try:
                meta = json.loads(self.run_file.read_text(encoding="utf-8"))
            except json.JSONDecodeError as e:
                raise DataError(self.run_file, e.lineno, None, f"malformed JSON ({e.msg})") from None
        else:
            meta = read_json(self.run_file)
        return meta if isinstance(meta, dict) else {}

    # ------------------------------------------------------------------ writers

    def write_problems(self, problems: Iterable[Problem]) -> int:
        return write_jsonl(self.problems_file, problems)

    def write_stats(self, rows: Iterable[Mapping[str, Any]]) -> int:
        """Rewrite stats.jsonl whole (rows from `stats_row`); it is derived, samples.jsonl is the truth."""
        return write_jsonl(self.stats_file, rows)

    def write_run(self, meta: Mapping[str, Any], *, indent: int = 2) -> None:
        write_json_atomic(self.run_file, meta, indent=indent)

    def clear(self) -> None:
        """Remove every output of an earlier run (`--overwrite`)."""
        for f in (self.samples_file, self.stats_file, self.run_file, self.problems_file, self.path / CONFIG):
            f.unlink(missing_ok=True)
        clear_logprobs(self.path)
        shutil.rmtree(self.shards_dir, ignore_errors=True)

    # ------------------------------------------------------------------ resume

    def check_resume(self, key: Mapping[str, Any], hint: str, *, sample: Mapping[str, Any] | None = None) -> None:
        """Refuse to add samples made with other settings than those already here.

        `key` is the settings that define what a (problem_id, sample_idx) means, stored as run.json's
        `resume_key`; only fields present on both sides are compared, so a key that gained a field
        still resumes an older folder. When run.json is missing, torn (kill -9, a copy that lost it)
        or has no key, the samples are the record: `sample` (fields each sample line carries, e.g.
        temperature, top_p, max_tokens, teacher) is compared with the last whole sample line.
        """
        if not self.has_samples():
            return
        old = self._resume_key()
        if old:
            diffs = settings_changes(old, key)
            where = f"{self.path} holds samples from a different run"
        elif sample:
            last = self.last_sample_line() or {}
            diffs = settings_changes({k: last[k] for k in sample if k in last}, sample)
            where = f"{self.samples_file} holds samples made with other settings (run.json is missing or torn)"
        else:
            return
        if diffs:
            raise ConfigError(f"{where} ({'; '.join(diffs)}); {hint}")

    def check_prompts(self, prompts: Mapping[str, str], hint: str) -> None:
        """With no resume key in run.json, also refuse when the last sample's problem would now get
        another prompt (another template, few-shot set or chat template): `check_resume` cannot
        see those before the prompts are rendered."""
        if not self.has_samples() or self._resume_key():
            return
        last = self.last_sample_line() or {}
        pid, prompt = str(last.get("problem_id")), last.get("prompt")
        if pid in prompts and isinstance(prompt, str) and prompts[pid] != prompt:
            raise ConfigError(f"{self.samples_file} holds samples made with another prompt for problem {pid!r} "
                              f"(run.json is missing or torn); {hint}")

    def _resume_key(self) -> dict[str, Any]:
        key = self.read_run().get("resume_key") if self.run_file.exists() else None
        return key if isinstance(key, dict) else {}


# ---------------------------------------------------------------------- stats.jsonl


@dataclass
class Counts:
    """Per-problem counts a stats row is made of."""

    trials: int = 0
    correct: int = 0

    def add(self, correct: Any) -> None:
        self.trials += 1
        self.correct += bool(correct)


def count_verdicts(verdicts: Iterable[tuple[str, Any]], problem_ids: Iterable[str] = ()) -> dict[str, Counts]:
    """Counts per problem from (problem_id, correct) pairs; `problem_ids` come first, in their order,
    and get a row even without a sample."""
    out = {str(p): Counts() for p in problem_ids}
    for pid, correct in verdicts:
        out.setdefault(str(pid), Counts()).add(correct)
    return out


def stats_row(problem_id: str, trials: int, correct: int, **fields: Any) -> dict[str, Any]:
    """One stats.jsonl row. Every writer (sampling, `grade --regrade`, `curate import`) makes its rows
    here: the counts, the pass rate derived from them (None before the first sample: an unsampled
    problem carries no difficulty estimate), then the writer's own fields, in this order:
    target, fail_rate, num_tokens, stop_reason (sampling), no_answer (imports)."""
    return {"problem_id": problem_id, "trials": trials, "correct": correct,
            "pass_rate": correct / trials if trials else None, **fields}


def fail_rate(trials: int, correct: int) -> Fraction:
    """f = 1 - correct / trials, exact (methods.md 1.2: DART counts every trial)."""
    return Fraction(trials - correct, trials)


def read_fail_rates(path: str | os.PathLike, *, recorded_only: bool = False) -> dict[str, Fraction]:
    """problem id -> exact fail rate, from a stats.jsonl (problem_id, fail_rate, trials, correct,
    pass_rate) or a DART query-info file (query_id, tot_n_samples, tot_n_corrects, pass_rate).

    A row's recorded `fail_rate` (the sampler's difficulty estimate: Prop2Diff's first pass or the
    rates it was given) wins, so curation uses the estimate the sampler scheduled by; then counts;
    then the pass rate. `recorded_only` keeps only rows with a recorded fail rate. A float is
    read as the nearest fraction with a denominator up to 10^6, i.e. the count ratio it was
    printed from, so that 10 * (1 - 0.3) is 7 and not 7.000000000000001. A row with none of
    these (a problem never sampled) is skipped: it carries no difficulty estimate.
    """
    p = Path(path)
    out: dict[str, Fraction] = {}
    for lineno, d in read_jsonl(p):
        pid = d.get("problem_id", d.get("query_id"))
        if pid is None:
            raise DataError(p, lineno, "problem_id", "missing (also no 'query_id')")
        fr = d.get("fail_rate")
        if fr is not None:
            out[str(pid)] = exact(_unit(p, lineno, "fail_rate", fr))
            continue
        if recorded_only:
            continue
        n = d.get("trials", d.get("tot_n_samples"))
        c = d.get("correct", d.get("tot_n_corrects"))
        if isinstance(n, int) and isinstance(c, int) and not isinstance(c, bool) and n > 0:
            if not 0 <= c <= n:
                raise DataError(p, lineno, "correct", f"{c} correct out of {n} trials")
            out[str(pid)] = fail_rate(n, c)
            continue
        pr = d.get("pass_rate")
        if pr is None:
            continue
        out[str(pid)] = 1 - exact(_unit(p, lineno, "pass_rate", pr))
    return out


def _unit(p: Path, lineno: int, name: str, v: Any) -> float:
    if not isinstance(v, int | float) or isinstance(v, bool) or not 0 <= v <= 1:
        raise DataError(p, lineno, name, f"expected a number in [0, 1], got {v!r}")
    return v
