"""End-to-end `curate` on a hand-made samples dir: files, flags, pairs, formats, stats."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from curation_helpers import mk, problem, write_dir

from mathdistill.curation import formats
from mathdistill.curation.config import CurateConfig
from mathdistill.curation.pipeline import curate
from mathdistill.io.jsonl import read_records
from mathdistill.records import Sample


def rows(p: Path) -> list[dict]:
    return [json.loads(line) for line in p.read_text().splitlines()]


def test_curate_defaults(mixed_dir, tmp_path):
    out = tmp_path / "out"
    stats = curate(mixed_dir, out, CurateConfig(plots=False))
    pos = [(s.problem_id, s.sample_idx) for s in read_records(out / "positives.jsonl", Sample)]
    # P1 idx 1 is a whitespace duplicate of idx 0.
    assert pos == [("P1", 0), ("P1", 2), ("P2", 0), ("P2", 1), ("P2", 2), ("P2", 3)]
    neg = rows(out / "negatives.jsonl")
    # Defaults drop the truncated (P1/4) and the no-answer (P1/5) negatives.
    assert [(r["problem_id"], r["sample_idx"]) for r in neg] == [("P1", 3), ("P3", 0), ("P3", 1)]
    assert stats["negatives"] == {
        "incorrect": 5,
        "truncated": 1,
        "no_answer": 1,
        "weak_answer": 0,
        "dropped_truncated": 1,
        "dropped_no_answer": 1,
        "too_long": 0,
        "over_max_length": 0,
        "length_outlier": 0,
        "repetition_loop": 0,
        "dup_exact": 0,
        "over_cap": 0,
        "kept": 3,
    }
    assert stats["problems"]["zero_correct"] == 1 and stats["problems"]["all_correct"] == 1
    assert stats["files"]["pairs.jsonl"] == 1  # only P1 has both; zip: min(2, 1) = 1
    for name in (
        "README.md",
        "config.yaml",
        "stats.json",
        "sft.jsonl",
        "sft_messages.jsonl",
        "kto.jsonl",
        "ranker.jsonl",
    ):
        assert (out / name).exists(), name
    card = (out / "README.md").read_text()
    assert "load_dataset" in card and "| positives kept | 6 |" in card
    assert stats["run"]["grader"] == "test-grader/0" and "versions" in stats["run"]


def test_negative_flags_kept_when_asked(mixed_dir, tmp_path):
    curate(mixed_dir, tmp_path / "o", CurateConfig(plots=False, drop_truncated=False, drop_no_answer=False))
    neg = {(r["problem_id"], r["sample_idx"]): r for r in rows(tmp_path / "o" / "negatives.jsonl")}
    assert neg[("P1", 4)]["truncated"] is True and neg[("P1", 4)]["no_answer"] is False
    assert neg[("P1", 5)]["no_answer"] is True and neg[("P1", 5)]["truncated"] is False
    assert neg[("P1", 3)]["no_answer"] is False and neg[("P1", 3)]["truncated"] is False


def test_pairs_never_mix_problems(tmp_path):
    # Ten problems with overlapping texts across problems, so a mixed pair could not hide.
    samples = []
    for i in range(10):
        pid = f"Q{i}"
        for j in range(6):
            samples.append(
                mk(
                    pid,
                    j,
                    f"{pid} answer {j}",
                    correct=(j + i) % 3 == 0,
                    pred="1" if (j + i) % 3 == 0 else "2",
                )
            )
    d = write_dir(tmp_path / "s", samples, [problem(f"Q{i}") for i in range(10)])
    for pairing in ("zip", "product"):
        out = tmp_path / pairing
        curate(d, out, CurateConfig(plots=False, pairing=pairing, formats=["pairs", "kto", "ranker"]))
        by_text = {(s.problem_id, s.response): s for s in samples}
        pairs = rows(out / "pairs.jsonl")
        assert pairs
        for r in pairs:
            assert by_text[(r["problem_id"], r["chosen"])].correct is True
            assert by_text[(r["problem_id"], r["rejected"])].correct is False
            assert r["prompt"] == f"Problem:\nQ {r['problem_id']}\n\nSolution:\n"
        n = {"zip": sum(min(2, 4) for _ in range(10)), "product": sum(2 * 4 for _ in range(10))}[pairing]
        assert len(pairs) == n  # every problem has 2 correct and 4 incorrect of 6
        for r in rows(out / "ranker.jsonl"):
            assert all(t.startswith(r["problem_id"] + " ") for t in r["positives"] + r["negatives"])


def test_make_pairs_by_hand():
    pos = [mk("P", 2, "c2", True), mk("P", 0, "c0", True)]
    neg = [mk("P", 5, "w5", False), mk("P", 1, "w1", False), mk("P", 3, "w3", False)]
    assert [(a.sample_idx, b.sample_idx) for a, b in formats.make_pairs(pos, neg)] == [(0, 1), (2, 3)]
    prod = formats.make_pairs(pos, neg, "product", max_pairs=4)
    assert [(a.sample_idx, b.sample_idx) for a, b in prod] == [(0, 1), (0, 3), (0, 5), (2, 1)]
    with pytest.raises(ValueError, match="one problem"):
        formats.make_pairs(pos, [mk("Other", 0, "w", False)])


def test_formats_follow_trl_conventions(mixed_dir, tmp_path):
    out = tmp_path / "o"
    curate(mixed_dir, out, CurateConfig(plots=False, include_reference=True, template="boxed_cot"))
    sft = rows(out / "sft.jsonl")
    assert {"prompt", "completion"} <= set(sft[0])
    assert sft[0]["prompt"] == "Problem:\nQ P1\n\nSolution:\n" and sft[0]["completion"] == "ref P1 \\boxed{1}"
    msgs = rows(out / "sft_messages.jsonl")[0]["messages"]
    assert [m["role"] for m in msgs] == ["user", "assistant"] and msgs[0]["content"].startswith("Q P1\n")
    kto = rows(out / "kto.jsonl")
    assert {r["label"] for r in kto} == {True, False}
    # The reference solution goes to SFT and the ranker, never into pairs / KTO.
    assert all(r["sample_idx"] >= 0 for r in kto)
    assert all(r["chosen_idx"] >= 0 for r in rows(out / "pairs.jsonl"))
    rk = rows(out / "ranker.jsonl")
    assert [r["problem_id"] for r in rk] == ["P1"] and rk[0]["positives"][0] == "ref P1 \\boxed{1}"
    assert rk[0]["question"] == "Q P1"


def test_completion_drops_repeated_prompt_tail():
    assert formats.completion_text("Problem:\nq\n\nSolution:\n", "Solution:\nx = 1") == "x = 1"
    assert formats.completion_text("Problem:\nq\n\nSolution:\n", "x = 1") == "x = 1"


def test_rft_dedup_and_max_chars(tmp_path):
    s = [
        mk("P", 0, "$1+1=2$ so \\boxed{2}", True),
        mk("P", 1, "$1+1=2$ hence \\boxed{2}", True),
        mk("P", 2, "$3\\times 4=13$ \\boxed{2}", True),
        mk("P", 3, "x" * 100 + "\\boxed{2}", True),
    ]
    d = write_dir(tmp_path / "s", s, [problem("P")])
    st = curate(d, tmp_path / "o", CurateConfig(plots=False, dedup="rft", max_chars=50, formats=[]))
    # idx 3 too long; idx 2 invalid arithmetic; idx 1 shares idx 0's signature (no other kept path: scores 0).
    assert [r["sample_idx"] for r in rows(tmp_path / "o" / "positives.jsonl")] == [0]
    assert (
        st["positives"]["too_long"],
        st["positives"]["rft_invalid"],
        st["positives"]["rft_same_signature"],
    ) == (1, 1, 1)


def test_decontamination_drops_overlapping_problems(tmp_path):
    bench = tmp_path / "bench.jsonl"
    long_q = "a train of length one hundred meters crosses a pole in ten seconds what is its speed in meters per second"
    bench.write_text(json.dumps({"question": long_q.upper() + "?", "answer": "10"}) + "\n")
    s = [mk("A", 0, "r", True), mk("B", 0, "r", True)]
    probs = [
        problem("A", question=long_q),
        problem("B", question="what is one plus one in base ten arithmetic"),
    ]
    d = write_dir(tmp_path / "s", s, probs)
    st = curate(
        d, tmp_path / "o", CurateConfig(plots=False, decontaminate=[str(bench)], ngram=5, threshold=0.5)
    )
    assert st["decontamination"]["dropped"] == [
        {"problem_id": "A", "benchmark": f"{bench}:test", "overlap": 1.0}
    ]
    assert [r["problem_id"] for r in rows(tmp_path / "o" / "positives.jsonl")] == ["B"]


def test_plots_are_written(mixed_dir, tmp_path):
    st = curate(mixed_dir, tmp_path / "o", CurateConfig(formats=["sft"]))
    assert st["plots"] == ["difficulty.png", "by_subject_level.png", "selection_lengths.png"]
    for p in st["plots"]:
        assert (tmp_path / "o" / p).read_bytes()[:4] == b"\x89PNG"


def test_push_to_hub_uploads_the_folder(mixed_dir, tmp_path, monkeypatch):
    import sys
    import types

    calls = []

    class FakeApi:
        def create_repo(self, repo, **kw):
            calls.append(("create", repo, kw))

        def upload_folder(self, **kw):
            calls.append(("upload", kw["repo_id"], kw))

    monkeypatch.setitem(sys.modules, "huggingface_hub", types.SimpleNamespace(HfApi=FakeApi))
    st = curate(mixed_dir, tmp_path / "o", CurateConfig(plots=False, push_to_hub="me/set", formats=["pairs"]))
    assert st["pushed_to"] == "https://huggingface.co/datasets/me/set"
    assert calls[0] == ("create", "me/set", {"repo_type": "dataset", "private": True, "exist_ok": True})
    up = calls[1][2]
    assert up["folder_path"] == str(tmp_path / "o") and "pairs.jsonl" in up["allow_patterns"]
    assert "README.md" in up["allow_patterns"]


def test_card_snippet_loads_every_file_with_datasets(mixed_dir, tmp_path, monkeypatch):
    pytest.importorskip("datasets")
    import re

    out = tmp_path / "o"
    curate(mixed_dir, out, CurateConfig(plots=False))
    code = re.search(r"```python\n(.*?)```", (out / "README.md").read_text(), re.DOTALL).group(1)
    monkeypatch.chdir(out)
    monkeypatch.setenv("HF_DATASETS_CACHE", str(tmp_path / "cache"))
    ns: dict = {}
    exec(code, ns)  # noqa: S102 - the card's own snippet (our text), run as a user would
    assert ns["pairs"].column_names[:3] == ["prompt", "chosen", "rejected"]
    assert len(ns["sft"]) == 6 and ns["kto"].features["label"].dtype == "bool"


def test_rerun_with_other_options_replaces_the_earlier_files(mixed_dir, tmp_path):
    """Issue 23: a rerun into the same folder with fewer formats leaves no file of the first run."""
    out = tmp_path / "out"
    curate(mixed_dir, out, CurateConfig(plots=True))
    assert (out / "kto.jsonl").exists() and (out / "difficulty.png").exists()
    (out / "notes.txt").write_text("mine")  # not curate's: kept
    curate(mixed_dir, out, CurateConfig(plots=False, formats=["sft"]))
    assert sorted(p.name for p in out.iterdir()) == [
        "README.md", "config.yaml", "negatives.jsonl", "notes.txt", "positives.jsonl", "sft.jsonl", "stats.json"]


def test_curate_refuses_to_write_into_a_samples_folder(mixed_dir, tmp_path):
    """Issue 23: `curate S -o S` would overwrite the sampling run's config.yaml; refused, S untouched."""
    from mathdistill.errors import MathdistillError

    before = sorted(p.name for p in mixed_dir.iterdir())
    with pytest.raises(MathdistillError, match="is the samples folder"):
        curate(mixed_dir, mixed_dir, CurateConfig(plots=False))
    with pytest.raises(MathdistillError, match="is the samples folder"):
        curate(mixed_dir, mixed_dir / ".." / mixed_dir.name, CurateConfig(plots=False))
    other = write_dir(tmp_path / "other", [mk("P", 0, "x", True)], [problem("P")])
    with pytest.raises(MathdistillError, match="holds a samples folder"):
        curate(mixed_dir, other, CurateConfig(plots=False))
    assert sorted(p.name for p in mixed_dir.iterdir()) == before


def test_conflicting_duplicate_keys_are_named(tmp_path, caplog):
    """Issue 23: repeated (problem_id, sample_idx) lines are named (file:line) in the log, stats and card."""
    s = [mk("P", 0, "a \\boxed{1}", True), mk("P", 1, "b", False, pred="2"), mk("P", 0, "c", False, pred="3"),
         mk("P", 1, "b", False, pred="2")]
    d = write_dir(tmp_path / "s", s, [problem("P")])
    with caplog.at_level("WARNING", logger="mathdistill.curation.pipeline"):
        stats = curate(d, tmp_path / "out", CurateConfig(plots=False))
    inp = stats["input"]
    assert inp["duplicate_keys_skipped"] == 2 and inp["duplicate_keys_conflicting"] == 1
    first = f"{d / 'samples.jsonl'}:3: ('P', 0) repeats line 1 (another sample)"
    assert inp["duplicate_keys_first"][0] == first
    assert inp["duplicate_keys_first"][1].endswith(":4: ('P', 1) repeats line 2 (the same sample)")
    assert first in caplog.text
    assert first in (tmp_path / "out" / "README.md").read_text()


def test_dedup_none_keeps_duplicate_correct_answers(mixed_dir, tmp_path):
    """Issue 17: DART's VRT / Uniform keep duplicate correct answers (`dedup: none`)."""
    stats = curate(mixed_dir, tmp_path / "out", CurateConfig(plots=False, dedup="none"))
    pos = [(s.problem_id, s.sample_idx) for s in read_records(tmp_path / "out" / "positives.jsonl", Sample)]
    assert pos == [("P1", 0), ("P1", 1), ("P1", 2), ("P2", 0), ("P2", 1), ("P2", 2), ("P2", 3)]
    assert stats["positives"]["dup_exact"] == 0


def test_wrong_answers_of_weak_extraction_rules_are_no_answer(tmp_path):
    """Issue 17 item 7: a wrong answer read only by statement / last_math / last_number is a failed
    extraction by default (not a negative); `weak_negatives` keeps it."""
    s = [mk("P", 0, "right \\boxed{1}", True),
         mk("P", 1, "wrong \\boxed{2}", False, pred="2"),
         mk("P", 2, "so the total is 7", False, pred="7", rule="statement"),
         mk("P", 3, "then 3 + 5 = 8 and 9", False, pred="9", rule="last_number"),
         mk("P", 4, "we get $x^2$", False, pred="x^2", rule="last_math"),
         mk("P", 5, "it is 1", True, pred="1", rule="statement")]  # a right weak answer stays a positive
    d = write_dir(tmp_path / "s", s, [problem("P")])
    stats = curate(d, tmp_path / "a", CurateConfig(plots=False))
    assert [r["sample_idx"] for r in rows(tmp_path / "a" / "negatives.jsonl")] == [1]
    assert [x.sample_idx for x in read_records(tmp_path / "a" / "positives.jsonl", Sample)] == [0, 5]
    assert stats["negatives"]["weak_answer"] == 3 and stats["negatives"]["dropped_no_answer"] == 3
    stats = curate(d, tmp_path / "b", CurateConfig(plots=False, weak_negatives=True))
    neg = rows(tmp_path / "b" / "negatives.jsonl")
    assert [r["sample_idx"] for r in neg] == [1, 2, 3, 4] and not any(r["no_answer"] for r in neg)


def test_prop2diff_curation_uses_the_samplers_fail_rate(tmp_path):
    """Issue 17: a Prop2Diff run samples a problem until its target; counting all its samples
    would give another difficulty than the sampler's first-pass estimate. Curation reads the
    estimate the sampler recorded in stats.jsonl (and normalises like it)."""
    # P1: first pass 2 wrong of 4 (f = 1/2), then sampled to its target; P2: f = 1 (never solved).
    s = [mk("P1", i, f"r{i} \\boxed{{1}}", ok, pred="1" if ok else "2")
         for i, ok in enumerate([True, False, True, False, True, True])]
    s += [mk("P2", i, f"w{i}", False, pred="2") for i in range(4)]
    d = write_dir(tmp_path / "s", s, [problem("P1"), problem("P2")])
    (d / "stats.jsonl").write_text(
        json.dumps({"problem_id": "P1", "trials": 6, "correct": 4, "pass_rate": 4 / 6, "target": 4,
                    "fail_rate": 0.5}) + "\n"
        + json.dumps({"problem_id": "P2", "trials": 4, "correct": 0, "pass_rate": 0.0, "target": 8,
                      "fail_rate": 1.0}) + "\n")
    stats = curate(d, tmp_path / "out", CurateConfig(plots=False, select="prop2diff", k_max=8))
    assert stats["positives"]["kept"] == 4  # max(1, ceil(8 * (1/2) / 1)); counted f = 1/3 would keep 3
    per = {r["problem_id"]: r for r in stats["per_problem"]}
    assert per["P1"]["target"] == 4 and per["P1"]["fail_rate"] == 0.5
    stats = curate(d, tmp_path / "counted", CurateConfig(plots=False, select="prop2diff", k_max=8,
                                                          fail_rate_from="samples"))
    assert stats["positives"]["kept"] == 3
