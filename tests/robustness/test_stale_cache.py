"""Eval's generation cache never serves generations of other weights or other problems, and never an
old gold: rerunning into the same --out after retraining, after fixing a gold, or with another file of
the same basename gives what a fresh run gives (issue 23, wrong results 1)."""

from __future__ import annotations

import json

import pytest
from eval_helpers import Counting, eval_cfg, samples_of, write_problems

from mathdistill.eval.pipeline import run_eval


@pytest.fixture(autouse=True)
def _private_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("MATHDISTILL_CACHE", str(tmp_path / "cache"))


def _acc(doc, name="toy"):
    return doc["metrics"][name]["mean@n"]["value"]


def test_retrained_weights_at_the_same_path_are_generated_again(tmp_path):
    data = write_problems(tmp_path / "toy.jsonl", [{"id": "a", "question": "QA: 1+1?", "answer": "2"}])
    model = tmp_path / "model"
    model.mkdir()
    (model / "config.json").write_text("{}")
    (model / "model.safetensors").write_bytes(b"old weights")
    out = tmp_path / "eval"
    before = Counting({"QA": ["\\boxed{3}"]})
    assert _acc(run_eval(eval_cfg(data, out, model=str(model)), before, progress=False)) == 0.0

    (model / "model.safetensors").write_bytes(b"retrained weights")  # same path, other weights
    after = Counting({"QA": ["\\boxed{2}"]})
    doc = run_eval(eval_cfg(data, out, model=str(model)), after, progress=False)
    assert after.generated == 3  # greedy + 2 samples: nothing came from the old weights' cache
    assert _acc(doc) == 1.0 and doc["metrics"]["toy"]["greedy"]["value"] == 1.0
    assert doc["model_fingerprint"].startswith("dir:")

    same = Counting({"QA": ["\\boxed{2}"]})
    run_eval(eval_cfg(data, out, model=str(model)), same, progress=False)
    assert same.generated == 0  # unchanged weights: the cache serves them


def test_a_fixed_gold_is_used_for_cached_samples(tmp_path):
    data = tmp_path / "toy.jsonl"
    write_problems(data, [{"id": "a", "question": "QA: 2*3?", "answer": "5"}])  # wrong gold
    out = tmp_path / "eval"
    first = Counting({"QA": ["\\boxed{6}"]})
    assert _acc(run_eval(eval_cfg(str(data), out), first, progress=False)) == 0.0

    write_problems(data, [{"id": "a", "question": "QA: 2*3?", "answer": "6"}])  # the gold fixed
    again = Counting({"QA": ["\\boxed{6}"]})
    doc = run_eval(eval_cfg(str(data), out), again, progress=False)
    assert again.generated == 0  # same question, same prompt: the generations are reused
    assert _acc(doc) == 1.0 and doc["metrics"]["toy"]["greedy"]["value"] == 1.0
    assert {r["answer"] for r in samples_of(out)} == {"6"}


def test_another_file_with_the_same_basename_is_not_served_from_the_cache(tmp_path):
    a = write_problems(tmp_path / "a" / "toy.jsonl", [{"id": "1", "question": "QA: 1+1?", "answer": "2"}])
    b = write_problems(tmp_path / "b" / "toy.jsonl", [{"id": "1", "question": "QB: 2+2?", "answer": "4"}])
    out = tmp_path / "eval"
    script = {"QA": ["\\boxed{2}"], "QB": ["\\boxed{4}"]}
    assert _acc(run_eval(eval_cfg(a, out), Counting(script), progress=False)) == 1.0
    second = Counting(script)
    doc = run_eval(eval_cfg(b, out), second, progress=False)
    assert second.generated == 3
    assert _acc(doc) == 1.0
    rows = samples_of(out)
    assert {r["answer"] for r in rows} == {"4"} and all("QB" in r["prompt"] for r in rows)
    # The cache file of the first data is left as it was, with the second's rows beside it.
    (cache,) = (out / "generations").glob("toy.sampled.*.jsonl")
    prompts = [json.loads(x)["prompt"] for x in cache.read_text().splitlines()]
    assert sum("QA" in p for p in prompts) == 2 and sum("QB" in p for p in prompts) == 2
