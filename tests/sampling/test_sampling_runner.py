"""The resumable runner with the scripted FakeBackend (orchestration only; real backends elsewhere)."""

from __future__ import annotations

import json

import pytest

from mathdistill.errors import ConfigError
from mathdistill.io.jsonl import read_jsonl
from mathdistill.records import Problem
from mathdistill.sampling.backends.fake import FakeBackend
from mathdistill.sampling.config import SampleConfig
from mathdistill.sampling.generate import derive_seed
from mathdistill.sampling.runner import run_sampling

PROBS = [Problem("easy", "Alpha: what is 1+2?", "3"), Problem("mid", "Beta: what is 2+2?", "4"),
         Problem("hard", "Gamma: what is 3+3?", "6")]
SCRIPT = {"Alpha": ["So \\boxed{3}", "So \\boxed{3}"],
          "Beta": ["So \\boxed{4}", "So \\boxed{5}", "So \\boxed{7}", "So \\boxed{9}"],
          "Gamma": ["So \\boxed{1}"]}


def cfg(tmp_path, **kw) -> SampleConfig:
    base = {"out": str(tmp_path / "run"), "backend": "fake", "model": "fake", "template": "boxed_cot",
            "progress": False, "grading_workers": 1}
    base.update(kw)
    return SampleConfig(**base)


def rows(c: SampleConfig, name="samples.jsonl"):
    return [r for _, r in read_jsonl(f"{c.out}/{name}")]


def test_vanilla_keeps_every_sample_graded(tmp_path):
    c = cfg(tmp_path, strategy="vanilla", k=4)
    summary = run_sampling(c, backend=FakeBackend(script=SCRIPT), problems=PROBS)
    samples = rows(c)
    assert len(samples) == 12 and summary["samples"] == 12
    assert sorted((r["problem_id"], r["sample_idx"]) for r in samples) == sorted(
        (p.id, i) for p in PROBS for i in range(4))
    by = {(r["problem_id"], r["sample_idx"]): r for r in samples}
    assert by["easy", 0]["correct"] is True and by["easy", 0]["pred"] == "3"
    assert by["hard", 2]["correct"] is False  # negatives are kept
    assert by["mid", 1]["seed"] is None or isinstance(by["mid", 1]["seed"], int)
    stats = {r["problem_id"]: r for r in rows(c, "stats.jsonl")}
    assert stats["mid"] == {**stats["mid"], "trials": 4, "correct": 1, "pass_rate": 0.25, "stop_reason": "done"}
    run = json.loads((tmp_path / "run" / "run.json").read_text())
    assert run["config"]["strategy"] == "vanilla" and run["prompt"]["template"]["name"] == "boxed_cot"
    assert run["grader"] and "versions" in run and run["sampling"]["temperature"] == 0.7


def test_uniform_rounds_and_stop_reasons(tmp_path):
    c = cfg(tmp_path, strategy="uniform", k_correct=2, max_trials=6)
    fake = FakeBackend(script=SCRIPT)
    run_sampling(c, backend=fake, problems=PROBS)
    stats = {r["problem_id"]: r for r in rows(c, "stats.jsonl")}
    assert stats["easy"]["trials"] == 2 and stats["easy"]["stop_reason"] == "k_reached"
    assert stats["hard"]["trials"] == 6 and stats["hard"]["stop_reason"] == "max_trials"
    # mid: 1 correct in every 4 -> round 1: 2 samples (1 ok), then 1 at a time until the 5th is ok
    assert stats["mid"]["correct"] == 2 and stats["mid"]["trials"] == 5
    assert [r.params.n for r in fake.calls if "Beta" in r.prompt] == [2, 1, 1, 1]


def test_prop2diff_uses_fail_rates_file(tmp_path):
    prior = tmp_path / "prior.jsonl"
    prior.write_text('{"problem_id": "easy", "pass_rate": 1.0}\n{"problem_id": "mid", "pass_rate": 0.5}\n')
    c = cfg(tmp_path, strategy="prop2diff", k_max=4, max_trials=8, first_pass_k=2, fail_rates=str(prior))
    run_sampling(c, backend=FakeBackend(script=SCRIPT), problems=PROBS)
    stats = {r["problem_id"]: r for r in rows(c, "stats.jsonl")}
    assert stats["easy"]["target"] == 1 and stats["easy"]["trials"] == 1
    assert stats["mid"]["target"] == 2 and stats["mid"]["correct"] == 2
    assert stats["hard"]["target"] == 4 and stats["hard"]["stop_reason"] == "max_trials"  # first pass: fail 1.0


def test_bad_fail_rates_file_names_line_and_field(tmp_path):
    prior = tmp_path / "prior.jsonl"
    prior.write_text('{"problem_id": "easy", "pass_rate": 1.0}\n{"problem_id": "mid", "pass_rate": "x"}\n')
    c = cfg(tmp_path, strategy="prop2diff", fail_rates=str(prior))
    with pytest.raises(Exception, match=r"prior.jsonl:2: field 'pass_rate'"):
        run_sampling(c, backend=FakeBackend(script=SCRIPT), problems=PROBS)


def test_resume_continues_without_duplicates(tmp_path):
    c = cfg(tmp_path, strategy="uniform", k_correct=2, max_trials=6)
    full = FakeBackend(script=SCRIPT, by_seed=True)
    run_sampling(cfg(tmp_path / "ref", strategy="uniform", k_correct=2, max_trials=6), backend=full, problems=PROBS)
    ref = rows(cfg(tmp_path / "ref"))
    # A run killed after its first batch: keep the first 3 lines plus a torn partial line.
    run_sampling(c, backend=FakeBackend(script=SCRIPT, by_seed=True), problems=PROBS)
    lines = (tmp_path / "run" / "samples.jsonl").read_text().splitlines(keepends=True)
    (tmp_path / "run" / "samples.jsonl").write_text("".join(lines[:3]) + lines[3][:25])
    second = FakeBackend(script=SCRIPT, by_seed=True)
    run_sampling(c, backend=second, problems=PROBS)
    got = rows(c)
    keys = [(r["problem_id"], r["sample_idx"]) for r in got]
    assert len(keys) == len(set(keys))
    assert sorted(keys) == sorted((r["problem_id"], r["sample_idx"]) for r in ref)
    assert sum(r.params.n for r in second.calls) == len(got) - 3  # only the missing work is redone
    # Rerunning a finished run does nothing.
    again = FakeBackend(script=SCRIPT)
    run_sampling(c, backend=again, problems=PROBS)
    assert again.calls == [] and len(rows(c)) == len(got)


def test_resume_refuses_a_different_config_and_overwrite_starts_over(tmp_path):
    c = cfg(tmp_path, strategy="vanilla", k=2)
    run_sampling(c, backend=FakeBackend(script=SCRIPT), problems=PROBS)
    with pytest.raises(ConfigError, match="temperature: 0.7 -> 1.0"):
        run_sampling(cfg(tmp_path, k=2, temperature=1.0), backend=FakeBackend(), problems=PROBS)
    run_sampling(cfg(tmp_path, k=1, temperature=1.0, overwrite=True), backend=FakeBackend(), problems=PROBS)
    assert len(rows(c)) == 3


def test_seeds_are_deterministic_per_problem_and_index(tmp_path):
    assert derive_seed(0, "a", 3) == derive_seed(0, "a", 3)
    assert len({derive_seed(0, "a", i) for i in range(50)} | {derive_seed(1, "a", 0)}) == 51
    c = cfg(tmp_path, strategy="vanilla", k=2)
    fake = FakeBackend(script=SCRIPT)
    run_sampling(c, backend=fake, problems=PROBS)
    assert [r.params.seed for r in fake.calls] == [derive_seed(0, p.id, 0) for p in PROBS]


def test_shards_partition_the_problems(tmp_path):
    seen = []
    for i in range(2):
        c = cfg(tmp_path / f"s{i}", strategy="vanilla", k=1, num_shards=2, shard_index=i, data="gsm8k",
                split="test", limit=5)
        run_sampling(c, backend=FakeBackend())
        seen += [r["problem_id"] for r in rows(c)]
    assert sorted(seen) == sorted(f"gsm8k/test/{i}" for i in range(5))


def test_grading_pool_overlaps_batches_and_keeps_results(tmp_path):
    # Two grading processes, one request per batch: batch i is graded while i+1 is generated.
    c = cfg(tmp_path, strategy="uniform", k_correct=2, max_trials=6, grading_workers=2, batch_requests=1)
    run_sampling(c, backend=FakeBackend(script=SCRIPT), problems=PROBS)
    stats = {r["problem_id"]: r for r in rows(c, "stats.jsonl")}
    assert (stats["easy"]["trials"], stats["mid"]["trials"], stats["hard"]["trials"]) == (2, 5, 6)
    by = {(r["problem_id"], r["sample_idx"]): r for r in rows(c)}
    assert by["mid", 0]["correct"] is True and by["mid", 1]["pred"] == "5" and len(by) == 13


def test_finished_run_does_not_start_a_backend(tmp_path, monkeypatch):
    c = cfg(tmp_path, strategy="vanilla", k=2)
    run_sampling(c, backend=FakeBackend(), problems=PROBS)
    from mathdistill.sampling import base

    monkeypatch.setattr(base, "get_backend", lambda *a, **k: pytest.fail("backend started for a finished run"))
    summary = run_sampling(c, problems=PROBS)
    assert summary["samples"] == 6 and summary["problems"] == 3
