"""A resumed eval draws new samples for the ones a kill lost, instead of repeating the seeds (and so
the completions) of samples 0, 1, ...; the greedy pass keeps the run's seed (issue 17, eval edge case)."""

from __future__ import annotations

import json

from eval_helpers import Counting, eval_cfg, samples_of, write_problems

from mathdistill.eval.pipeline import run_eval
from mathdistill.sampling.generate import derive_seed

# by_seed: the j-th completion of a request seeded s is RESPONSES[(s + j) % len]: equal seeds, equal texts.
RESPONSES = [f"\\boxed{{{i}}}" for i in range(997)]


def test_regenerated_samples_get_their_own_seeds(tmp_path):
    data = write_problems(tmp_path / "toy.jsonl", [{"id": "a", "question": "QA: ?", "answer": "1"},
                                                   {"id": "b", "question": "QB: ?", "answer": "2"}])
    out = tmp_path / "eval"
    cfg = eval_cfg(data, out, n=4, seed=0)
    first = Counting({"QA": RESPONSES, "QB": RESPONSES}, by_seed=True)
    run_eval(cfg, first, progress=False)
    assert [r.params.seed for r in first.requests if r.params.temperature > 0] == \
        [derive_seed(0, "a", 0), derive_seed(0, "b", 0)]

    # kill -9 after samples 0 and 1 of problem b reached the cache: its samples 2 and 3 are missing.
    (cache,) = (out / "generations").glob("toy.sampled.*.jsonl")
    lines = cache.read_text().splitlines(keepends=True)
    assert [json.loads(x)["sample_idx"] for x in lines[-2:]] == [2, 3]
    cache.write_text("".join(lines[:-2]))

    resumed = Counting({"QA": RESPONSES, "QB": RESPONSES}, by_seed=True)
    run_eval(cfg, resumed, progress=False)
    assert resumed.generated == 2
    (req,) = resumed.requests
    assert req.params.seed == derive_seed(0, "b", 2) != derive_seed(0, "b", 0)
    b = {r["sample_idx"]: r for r in samples_of(out) if r["problem_id"] == "b" and r["meta"]["mode"] == "sampled"}
    assert {b[2]["response"], b[3]["response"]}.isdisjoint({b[0]["response"], b[1]["response"]})
    assert b[2]["seed"] != b[0]["seed"]


def test_greedy_requests_keep_the_run_seed(tmp_path):
    data = write_problems(tmp_path / "toy.jsonl", [{"id": "a", "question": "QA: ?", "answer": "1"}])
    out = tmp_path / "eval"
    fake = Counting({"QA": RESPONSES}, by_seed=True)
    run_eval(eval_cfg(data, out, n=2, seed=5), fake, progress=False)
    (greedy,) = [r for r in fake.requests if r.params.temperature == 0]
    assert greedy.params.seed == 5
    (row,) = [r for r in samples_of(out) if r["meta"]["mode"] == "greedy"]
    assert row["seed"] == 5 and row["response"] == RESPONSES[5]
