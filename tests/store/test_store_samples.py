"""The samples folder: one stats schema, one fail-rate reader, one Prop2Diff rule, the resume guard, unions."""

from __future__ import annotations

import json
import math
from fractions import Fraction

import pytest

from mathdistill.errors import ConfigError, DataError
from mathdistill.io.jsonl import read_jsonl, write_jsonl
from mathdistill.records import Problem, Sample
from mathdistill.store.combine import union_samples
from mathdistill.store.difficulty import prop2diff_target
from mathdistill.store.samples import SamplesDir, count_verdicts, read_fail_rates, stats_row


def test_stats_row_derives_the_pass_rate_from_the_counts():
    assert stats_row("a", 4, 1, stop_reason="done") == {
        "problem_id": "a", "trials": 4, "correct": 1, "pass_rate": 0.25, "stop_reason": "done"}
    assert stats_row("b", 0, 0)["pass_rate"] is None  # never sampled: no difficulty estimate
    counts = count_verdicts([("a", True), ("a", False), ("c", 1)], problem_ids=["b", "a"])
    assert list(counts) == ["b", "a", "c"]
    assert [(c.trials, c.correct) for c in counts.values()] == [(0, 0), (2, 1), (1, 1)]


def test_fail_rates_from_stats_and_dart_files(tmp_path):
    p = tmp_path / "stats.jsonl"
    write_jsonl(p, [{"problem_id": "a", "trials": 8, "correct": 3, "pass_rate": 0.375},
                    {"query_id": "b", "tot_n_samples": 4, "tot_n_corrects": 1, "pass_rate": 0.25},
                    {"problem_id": "c", "pass_rate": 0.3},
                    {"problem_id": "d", "trials": 0, "correct": 0, "pass_rate": None}])  # unsampled: skipped
    assert read_fail_rates(p) == {"a": Fraction(5, 8), "b": Fraction(3, 4), "c": Fraction(7, 10)}
    write_jsonl(p, [{"problem_id": "a", "pass_rate": 0.5}, {"problem_id": "b", "pass_rate": "high"}])
    with pytest.raises(DataError, match=r"stats.jsonl:2: field 'pass_rate'"):
        read_fail_rates(p)
    write_jsonl(p, [{"problem_id": "a", "trials": 2, "correct": 3}])
    with pytest.raises(DataError, match=r"stats.jsonl:1: field 'correct'"):
        read_fail_rates(p)


def _sampler_rule_before(k_max: int, fail_rate: float) -> int:
    # The sampler's own rule before the store owned it: float fail rate, rounded at 1e-9, then ceil.
    return max(1, math.ceil(round(k_max * fail_rate, 9)))


def test_prop2diff_target_agrees_with_the_sampler_rule_on_counted_fail_rates():
    # Every fail rate the sampler meets is 1 - c/n (its first pass, or a stats file's pass rate).
    for n in range(1, 41):
        for c in range(n + 1):
            exact = Fraction(n - c, n)
            for k in (1, 2, 3, 4, 7, 8, 10, 16, 40, 64, 100, 1000):
                assert prop2diff_target(exact, k) == _sampler_rule_before(k, 1.0 - c / n), (n, c, k)
    assert prop2diff_target(0.7, 10) == 7 and prop2diff_target(Fraction(7, 10), 10) == 7


def test_resume_guard_names_each_changed_setting(tmp_path):
    sd = SamplesDir(tmp_path)
    sd.check_resume({"seed": 1}, "hint")  # nothing here yet
    sd.samples_file.write_text("")
    sd.write_run({"resume_key": {"seed": 0, "model": "m"}})
    sd.check_resume({"seed": 0, "model": "m", "new_field": 3}, "hint")  # a new field alone does not block
    with pytest.raises(ConfigError, match=r"holds samples from a different run \(seed: 0 -> 1\); use another"):
        sd.check_resume({"seed": 1, "model": "m"}, "use another")
    sd.run_file.write_text('{"resume_key": {"se')  # torn by a kill, no sample settings given: no constraint
    sd.check_resume({"seed": 1}, "hint")


def test_resume_guard_falls_back_on_the_last_sample_line(tmp_path):
    """Issue 23: with run.json missing or torn, the samples carry the settings."""
    sd = SamplesDir(tmp_path)
    row = {"problem_id": "p", "sample_idx": 0, "prompt": "q", "response": "r", "temperature": 0.7, "top_p": 1.0,
           "max_tokens": 64, "teacher": "m"}
    sd.samples_file.write_text(json.dumps(row) + "\n" + json.dumps({**row, "sample_idx": 1}) + "\n" + '{"problem_')
    want = {"temperature": 0.7, "top_p": 1.0, "max_tokens": 64, "teacher": "m"}
    sd.check_resume({"seed": 1}, "hint", sample=want)
    with pytest.raises(ConfigError, match=r"run.json is missing or torn\) \(temperature: 0.7 -> 1.0; max_tokens: 64 -> "
                                          r"128\); hint"):
        sd.check_resume({"seed": 1}, "hint", sample={**want, "temperature": 1.0, "max_tokens": 128})
    sd.run_file.write_text("{")  # torn
    with pytest.raises(ConfigError, match="teacher: 'm' -> 'n'"):
        sd.check_resume({"seed": 1}, "hint", sample={**want, "teacher": "n"})
    sd.write_run({"resume_key": {"seed": 1}})  # an intact run.json is the record
    sd.check_resume({"seed": 1}, "hint", sample={**want, "teacher": "n"})


def test_last_sample_line_reads_from_the_end(tmp_path):
    sd = SamplesDir(tmp_path)
    assert sd.last_sample_line() is None
    long = "x" * 300_000  # longer than one read block
    sd.samples_file.write_text(json.dumps({"i": 0}) + "\n" + json.dumps({"i": 1, "r": long}) + "\n\n" + '{"i": 2, "r"')
    assert sd.last_sample_line() == {"i": 1, "r": long}
    sd.samples_file.write_text(json.dumps({"i": 0}) + "\n")
    assert sd.last_sample_line() == {"i": 0}


def test_read_graded_names_repeated_keys(tmp_path):
    sd = SamplesDir(tmp_path)
    row = {"problem_id": "p", "sample_idx": 0, "prompt": "q", "response": "r", "pred": "1", "correct": True}
    write_jsonl(sd.samples_file, [row, row, {**row, "response": "other", "correct": False}])
    samples, repeats = sd.read_graded()
    assert len(samples) == 1 and [(r.line, r.first_line, r.conflicting) for r in repeats] == [(2, 1, False),
                                                                                              (3, 1, True)]
    assert str(repeats[1]) == f"{sd.samples_file}:3: ('p', 0) repeats line 1 (another sample)"


def test_repeated_key_with_another_reasoning_conflicts(tmp_path):
    """Two reasoning traces with the same answer part are two samples, not one written twice."""
    sd = SamplesDir(tmp_path)
    row = {"problem_id": "p", "sample_idx": 0, "prompt": "q", "response": "The answer is 1", "pred": "1",
           "correct": True, "reasoning": "1 = 1", "reasoning_closed": True}
    write_jsonl(sd.samples_file, [row, row, {**row, "reasoning": "one is 1"}])
    _, repeats = sd.read_graded()
    assert [r.conflicting for r in repeats] == [False, True]


def test_fail_rates_prefer_the_samplers_recorded_estimate(tmp_path):
    """Issue 17: one difficulty estimate per problem. A Prop2Diff run samples a problem up to its
    target, so its counts no longer give the first-pass fail rate it was scheduled by."""
    p = tmp_path / "stats.jsonl"
    write_jsonl(p, [{"problem_id": "a", "trials": 6, "correct": 4, "pass_rate": 4 / 6, "fail_rate": 0.5, "target": 4},
                    {"problem_id": "b", "trials": 4, "correct": 1, "pass_rate": 0.25, "fail_rate": None}])
    assert read_fail_rates(p) == {"a": Fraction(1, 2), "b": Fraction(3, 4)}
    assert read_fail_rates(p, recorded_only=True) == {"a": Fraction(1, 2)}
    write_jsonl(p, [{"problem_id": "a", "fail_rate": 1.5}])
    with pytest.raises(DataError, match=r"stats.jsonl:1: field 'fail_rate'"):
        read_fail_rates(p)


def test_prop2diff_target_is_normalised_by_the_largest_fail_rate():
    """DART: the hardest problem gets k_max (issue 17)."""
    assert prop2diff_target(Fraction(1, 2), 8, Fraction(1, 2)) == 8
    assert prop2diff_target(Fraction(1, 4), 8, Fraction(1, 2)) == 4
    assert prop2diff_target(Fraction(1, 4), 8) == 2  # normaliser 1: the old rule
    assert prop2diff_target(0, 8, 0) == 1  # nothing ever fails: one each


def test_clear_removes_every_output(tmp_path):
    sd = SamplesDir(tmp_path)
    for f in (sd.samples_file, sd.stats_file, sd.run_file, sd.problems_file, tmp_path / "config.yaml"):
        f.write_text("x")
    (sd.shards_dir / "shard-0").mkdir(parents=True)
    (tmp_path / "keep.txt").write_text("x")
    sd.clear()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.txt"]


def _round(d, rows, grader):
    sd = SamplesDir(d)
    d.mkdir()
    write_jsonl(sd.samples_file, [Sample(problem_id=p, sample_idx=i, prompt="q", response=r, correct=True)
                                  for p, i, r in rows])
    sd.write_problems([Problem(id=p, question=f"Q {p}", answer="1") for p in sorted({r[0] for r in rows})])
    sd.write_run({"grader": grader, "sampling": {"temperature": 0.7}})


def test_union_of_rounds_renumbers_per_problem(tmp_path):
    _round(tmp_path / "r1", [("a", 1, "a1"), ("a", 0, "a0"), ("b", 0, "b0")], "g1")
    _round(tmp_path / "r2", [("a", 0, "A0"), ("c", 0, "c0")], "g2")
    dest = union_samples([tmp_path / "r1", tmp_path / "r2"], tmp_path / "u")
    rows = [r for _, r in read_jsonl(dest / "samples.jsonl")]
    assert [(r["problem_id"], r["sample_idx"], r["response"], r["meta"]["round"]) for r in rows] == [
        ("a", 0, "a0", 1), ("a", 1, "a1", 1), ("b", 0, "b0", 1), ("a", 2, "A0", 2), ("c", 0, "c0", 2)]
    assert set(SamplesDir(dest).read_problems()) == {"a", "b", "c"}
    run = json.loads((dest / "run.json").read_text())
    assert run["grader"] == "g1" and [r["samples"] for r in run["union_of_rounds"]] == [3, 2]
