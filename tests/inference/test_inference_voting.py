"""Voting over equivalence classes with the real grader, and ASC weighting."""

from __future__ import annotations

import pytest

from mathdistill.inference.voting import asc_weights, group_answers, majority_vote, weighted_vote


def test_equivalent_forms_vote_together():
    # Raw strings would give "7" the win (2 vs 1 vs 1 vs 1); as numbers 1/2 has three votes.
    answers = ["1/2", "7", "0.5", "\\frac{1}{2}", "7", None]
    v = majority_vote(answers)
    assert v.answer == "1/2" or v.answer in ("0.5", "\\frac{1}{2}")
    assert v.weight == 3
    assert len(v.tied) == 1
    cl = v.classes
    assert cl is not None
    assert cl.labels[0] == cl.labels[2] == cl.labels[3] != cl.labels[1]
    assert cl.labels[5] == -1
    assert v.accuracy(lambda a: a in ("0.5", "1/2", "\\frac{1}{2}")) == 1.0


def test_exact_pregrouping_calls_equiv_once_per_distinct_pair():
    calls = []

    def equiv(a, b):
        calls.append((a, b))
        return False

    cl = group_answers(["3", "3", " 3 ", "4", "4", "5"], equiv)
    assert cl.reps == ["3", "4", "5"]  # most frequent first
    assert len(calls) == 3  # 4-vs-3, 5-vs-3, 5-vs-4


def test_tie_is_expected_accuracy():
    v = majority_vote(["2", "3", "2", "3"], equiv=lambda a, b: a == b)
    assert sorted(v.tied) == ["2", "3"]
    assert v.accuracy(lambda a: a == "2") == 0.5
    assert v.accuracy(lambda a: a == "9") == 0.0
    assert majority_vote([None, None]).answer is None


def test_asc_weights_variants_and_missing_scores():
    assert asc_weights([0.2, 0.8], "s") == [0.2, 0.8]
    assert asc_weights([0.2, 0.8], "1+s") == [1.2, 1.8]
    assert asc_weights([0.2, 0.8], "1+2s") == pytest.approx([1.4, 2.6])
    assert asc_weights([0.2, None, 0.6], "s") == pytest.approx([0.2, 0.4, 0.6])  # mean of the others
    assert asc_weights([None, None], "s") == [1.0, 1.0]
    with pytest.raises(ValueError):
        asc_weights([0.1], "2s")


def test_asc_weighting_flips_a_majority_on_hand_made_scores():
    # Majority says 10 (3 votes vs 2); the ranker trusts the two "12" rationales.
    answers = ["10", "10", "10", "12", "12"]
    scores = [0.1, 0.2, 0.1, 0.9, 0.8]
    eq = lambda a, b: a == b
    assert majority_vote(answers, eq).answer == "10"
    assert weighted_vote(answers, asc_weights(scores, "s"), eq).answer == "12"  # 0.4 vs 1.7
    # 1+s: 3.4 vs 3.7 -> 12
    assert weighted_vote(answers, asc_weights(scores, "1+s"), eq).answer == "12"
    # A milder ranker: pure scores still pick 12 (0.9 vs 1.0), 1+s lets the count win (3.9 vs 3.0).
    scores2 = [0.3, 0.3, 0.3, 0.5, 0.5]
    assert weighted_vote(answers, asc_weights(scores2, "s"), eq).answer == "12"
    assert weighted_vote(answers, asc_weights(scores2, "1+s"), eq).answer == "10"


def test_weighted_vote_length_mismatch():
    with pytest.raises(ValueError):
        weighted_vote(["1"], [1.0, 2.0], equiv=lambda a, b: a == b)


def test_equivalence_table_in_worker_processes():
    from mathdistill.eval.grade_step import equivalence_table
    from mathdistill.records import Sample

    preds = ["1/2", "0.5", "3", "0.5", "\\frac{1}{2}"]
    group = [Sample(problem_id="p", sample_idx=i, prompt="", response="", pred=a) for i, a in enumerate(preds)]
    eq = equivalence_table([group], workers=2, timeout_s=5.0)
    cl = group_answers(preds, eq)
    assert cl.labels[0] == cl.labels[1] == cl.labels[3] == cl.labels[4] != cl.labels[2]
