"""Several samples folders as one: the shards of one run, or the rounds of iterative RFT.

Every combined file is rebuilt whole (temp file + rename), so a kill leaves nothing half-made,
under the output folder's lock (`io.lock`), so two merges never write one folder at once.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

from mathdistill.errors import DataError, MathdistillError
from mathdistill.io.jsonl import read_jsonl, write_jsonl
from mathdistill.io.lock import output_lock
from mathdistill.records import Problem, Sample
from mathdistill.store.samples import PROBLEMS, SAMPLES, STATS, SamplesDir


def merge_shards(out: Path, shard_dirs: list[Path]) -> tuple[int, int]:
    """Concatenate the shards' samples and stats into `out`, in shard order; return (samples, stats) rows.

    Shards (`--num-shards N --shard-index i` or `--ray`) cover disjoint problems, so a
    (problem_id, sample_idx) seen in two shards means the same shard ran twice into different dirs
    or shards overlapped: an error, never a silent duplicate.
    """
    missing = [str(d) for d in shard_dirs if not SamplesDir(d).has_samples()]
    if missing:
        raise MathdistillError(f"no {SAMPLES} in shard dir(s): {', '.join(missing)}")

    def rows(name: str, key_fields: tuple[str, ...]) -> Iterator[dict]:
        seen: dict[tuple, str] = {}
        for d in shard_dirs:
            if not (d / name).exists():
                continue
            for lineno, row in read_jsonl(d / name, allow_torn_tail=True):
                key = tuple(row.get(k) for k in key_fields)
                if key in seen:
                    raise DataError(d / name, lineno, key_fields[0],
                                    f"key {key} also appears in {seen[key]}: shards overlap")
                seen[key] = str(d / name)
                yield row

    with output_lock(out, "merge"):
        n_samples = write_jsonl(out / SAMPLES, rows(SAMPLES, ("problem_id", "sample_idx")))
        n_stats = write_jsonl(out / STATS, rows(STATS, ("problem_id",)))
        if all((d / PROBLEMS).exists() for d in shard_dirs):
            write_jsonl(out / PROBLEMS, rows(PROBLEMS, ("id",)))
    return n_samples, n_stats


def merge_run_info(out: Path, shard_dirs: list[Path]) -> None:
    """run.json of the merge: the shards' own run.json files, kept whole for reproducibility."""
    runs = {}
    for d in shard_dirs:
        sd = SamplesDir(d)
        if sd.run_file.exists():
            runs[str(d)] = sd.read_run(strict=True)
    with output_lock(out, "merge"):
        SamplesDir(out).write_run({"merged_from": [str(d) for d in shard_dirs], "shards": runs})


def union_samples(dirs: list[Path], dest: Path) -> Path:
    """Iterative RFT: the union of several rounds' samples folders as one folder for curation.

    Each round numbers its samples from 0, so (problem_id, sample_idx) would collide; the union
    renumbers them per problem in round order and keeps the origin in meta (round, sample_idx).
    """
    samples: list[Sample] = []
    problems: dict[str, Problem] = {}
    counters: dict[str, int] = defaultdict(int)
    rounds = []
    for r, d in enumerate(dirs, 1):
        sd = SamplesDir(d)
        if not sd.has_samples():
            raise DataError(sd.samples_file, None, None, "round has no samples (run its sample stage first)")
        for pid, p in (sd.read_problems() or {}).items():
            problems.setdefault(pid, p)
        n = 0
        for s in sorted(sd.iter_samples(), key=lambda s: (s.problem_id, s.sample_idx)):
            s.meta = {**s.meta, "round": r, "round_sample_idx": s.sample_idx}
            s.sample_idx = counters[s.problem_id]
            counters[s.problem_id] += 1
            samples.append(s)
            n += 1
        rounds.append({"round": r, "dir": str(d), "samples": n})
    out = SamplesDir(dest)
    run = SamplesDir(dirs[0]).read_run(strict=True)
    with output_lock(dest, "union of rounds"):
        write_jsonl(out.samples_file, samples)
        out.write_problems(problems.values())
        out.write_run({"sampling": run.get("sampling"), "seeds": run.get("seeds"), "grader": run.get("grader"),
                       "union_of_rounds": rounds}, indent=1)
    return dest
