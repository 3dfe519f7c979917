"""Iterative RFT: the union of several rounds' samples dirs as one samples dir for curation.

Each round numbers its samples from 0, so (problem_id, sample_idx) would collide; the union
renumbers them per problem in round order and keeps the origin in meta (round, sample_idx).
Files are written whole (temp + rename) and rebuilt on every curate run, so a kill leaves
nothing half-made.
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

from mathdistill.errors import DataError
from mathdistill.io.jsonl import read_records, write_jsonl
from mathdistill.records import Problem, Sample


def union_samples(dirs: list[Path], dest: Path) -> Path:
    dest.mkdir(parents=True, exist_ok=True)
    samples: list[Sample] = []
    problems: dict[str, Problem] = {}
    counters: dict[str, int] = defaultdict(int)
    rounds = []
    for r, d in enumerate(dirs, 1):
        sp = d / "samples.jsonl"
        if not sp.exists():
            raise DataError(sp, None, None, "round has no samples (run its sample stage first)")
        if (d / "problems.jsonl").exists():
            for p in read_records(d / "problems.jsonl", Problem):
                problems.setdefault(p.id, p)
        n = 0
        for s in sorted(read_records(sp, Sample, allow_torn_tail=True), key=lambda s: (s.problem_id, s.sample_idx)):
            s.meta = {**s.meta, "round": r, "round_sample_idx": s.sample_idx}
            s.sample_idx = counters[s.problem_id]
            counters[s.problem_id] += 1
            samples.append(s)
            n += 1
        rounds.append({"round": r, "dir": str(d), "samples": n})
    write_jsonl(dest / "samples.jsonl", samples)  # atomic (temp file + rename)
    write_jsonl(dest / "problems.jsonl", list(problems.values()))
    first_run = dirs[0] / "run.json"
    run = json.loads(first_run.read_text()) if first_run.exists() else {}
    run = {"sampling": run.get("sampling"), "seeds": run.get("seeds"), "grader": run.get("grader"),
           "union_of_rounds": rounds}
    (dest / "run.json").write_text(json.dumps(run, indent=1, default=str))
    return dest
