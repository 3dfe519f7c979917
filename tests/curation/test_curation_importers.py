"""Importers: TDG and generic pools -> samples dir, graded; resume; clear errors on bad lines."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from mathdistill.curation.importers import TDG_MAPPING, PoolMapping, import_pool, parse_pool
from mathdistill.errors import DataError
from mathdistill.io.jsonl import read_records
from mathdistill.records import Problem, Sample

TDG_ROWS = [
    {
        "question": "Problem:\nWhat is $1+1$?",
        "answer": "We add: $1+1=\\boxed{2}$.",
        "generated_answer": [
            "Solution:\n$1+1=2$ so \\boxed{2}",
            "It is \\boxed{3}",
            "I give up.",
            "\\boxed{\\frac{4}{2}}",
        ],
        "level": "Level 1",
        "type": "Algebra",
        "teacher": "gpt-3.5-turbo",
        "unique_id": "train/algebra/1.json",
    },
    # One of MATH's two empty-box errata: the gold must come from MATH_ERRATA ("0").
    {
        "question": "Problem:\nHow many primes are between 90 and 96?",
        "answer": "None are, so \\boxed{}.",
        "generated_answer": ["\\boxed{0}", "\\boxed{1}"],
        "level": "Level 2",
        "type": "Number Theory",
        "teacher": "gpt-3.5-turbo",
        "unique_id": "train/number_theory/7115.json",
    },
]


def write_gz(path: Path, rows: list) -> Path:
    with gzip.open(path, "wt", encoding="utf-8") as f:
        for r in rows:
            f.write((r if isinstance(r, str) else json.dumps(r)) + "\n")
    return path


def test_import_tdg_like_file(tmp_path):
    src = write_gz(tmp_path / "tdg.jsonl.gz", TDG_ROWS)
    out = tmp_path / "imp"
    s = import_pool(src, out, TDG_MAPPING, workers=1, progress=False)
    probs = {p.id: p for p in read_records(out / "problems.jsonl", Problem)}
    assert probs["train/algebra/1.json"].question == "What is $1+1$?"  # "Problem:\n" stripped
    assert probs["train/algebra/1.json"].answer == "2"
    assert probs["train/number_theory/7115.json"].answer == "0"
    assert probs["train/algebra/1.json"].meta == {"subject": "Algebra", "level": 1}
    samples = list(read_records(out / "samples.jsonl", Sample))
    verdicts = {(x.problem_id, x.sample_idx): (x.correct, x.pred) for x in samples}
    assert verdicts == {
        ("train/algebra/1.json", 0): (True, "2"),
        ("train/algebra/1.json", 1): (False, "3"),
        ("train/algebra/1.json", 2): (False, None),
        ("train/algebra/1.json", 3): (True, "\\frac{4}{2}"),
        ("train/number_theory/7115.json", 0): (True, "0"),
        ("train/number_theory/7115.json", 1): (False, "1"),
    }
    assert all(x.teacher == "gpt-3.5-turbo" and x.answer for x in samples)
    assert samples[0].prompt == TDG_ROWS[0]["question"]
    stats = [json.loads(line) for line in (out / "stats.jsonl").read_text().splitlines()]
    assert stats[0] == {
        "problem_id": "train/algebra/1.json",
        "trials": 4,
        "correct": 2,
        "pass_rate": 0.5,
        "stop_reason": "imported",
        "no_answer": 1,
    }
    assert (s["positives"], s["negatives"], s["no_answer"], s["problems_0_correct"]) == (3, 3, 1, 0)
    run = json.loads((out / "run.json").read_text())
    from mathdistill.grading import GRADER_VERSION

    assert run["grader"] == GRADER_VERSION and run["counts"]["samples"] == 6 and "versions" in run


def test_import_resumes_after_a_kill(tmp_path):
    src = write_gz(tmp_path / "tdg.jsonl.gz", TDG_ROWS)
    out = tmp_path / "imp"
    import_pool(src, out, TDG_MAPPING, workers=1, progress=False)
    full = (out / "samples.jsonl").read_text().splitlines()
    # A kill -9 mid-write: two whole lines and a torn third.
    (out / "samples.jsonl").write_text(full[0] + "\n" + full[1] + "\n" + full[2][:20])
    s = import_pool(src, out, TDG_MAPPING, workers=1, progress=False)
    assert (s["resumed"], s["graded_now"]) == (2, 4)
    assert sorted((out / "samples.jsonl").read_text().splitlines()) == sorted(full)
    s = import_pool(src, out, TDG_MAPPING, workers=1, progress=False)
    assert (s["resumed"], s["graded_now"]) == (6, 0)


def test_generic_pool_one_response_per_line(tmp_path):
    src = tmp_path / "pool.jsonl"
    rows = [
        {"query": "What is 2+2?", "resp": r, "gt": "4", "correct": c}
        for r, c in (("so \\boxed{4}", True), ("so \\boxed{5}", False))
    ]
    rows.append({"query": "What is 3+3?", "resp": "The answer is 6", "gt": "6", "correct": True})
    rows.append({"query": "What is 2+2?", "resp": "#### 4", "gt": "4", "correct": True})
    src.write_text("".join(json.dumps(r) + "\n" for r in rows))
    m = PoolMapping(
        question_field="query",
        responses_field="resp",
        answer_field="gt",
        label_field="correct",
        teacher="dart",
    )
    problems, samples = parse_pool(src, m)
    assert len(problems) == 2 and [x.sample_idx for x in samples] == [0, 1, 0, 2]
    assert samples[0].problem_id == samples[3].problem_id != samples[2].problem_id
    s = import_pool(src, tmp_path / "o", m, workers=2, progress=False)  # through the process pool
    assert (s["problems"], s["samples"], s["positives"]) == (2, 4, 3)
    got = list(read_records(tmp_path / "o" / "samples.jsonl", Sample))
    assert all(x.meta["source_label"] == x.correct for x in got)


@pytest.mark.parametrize(
    "bad, field",
    [
        ({**TDG_ROWS[0], "generated_answer": ["ok", 3]}, "generated_answer"),
        ({k: v for k, v in TDG_ROWS[0].items() if k != "question"}, "question"),
        ({**TDG_ROWS[0], "answer": "a solution with a broken box \\boxed{"}, "answer"),
        ({**TDG_ROWS[0], "unique_id": ""}, "unique_id"),
    ],
)
def test_malformed_line_names_file_line_field(tmp_path, bad, field):
    src = write_gz(tmp_path / "bad.jsonl.gz", [TDG_ROWS[1], bad])
    with pytest.raises(DataError, match=rf"bad.jsonl.gz:2: field '{field}'"):
        import_pool(src, tmp_path / "o", TDG_MAPPING, workers=1, progress=False)


def test_malformed_json_line(tmp_path):
    src = write_gz(tmp_path / "bad.jsonl.gz", [TDG_ROWS[0], "{oops"])
    with pytest.raises(DataError, match=r"bad.jsonl.gz:2: malformed JSON"):
        parse_pool(src, TDG_MAPPING)


def test_real_tdg_files_first_problems(data_dir, tmp_path):
    for name, teacher in (
        ("teacher_math_gpt35.jsonl.gz", "gpt-3.5-turbo"),
        ("teacher_math_gpt4.jsonl.gz", "gpt-4"),
    ):
        problems, samples = parse_pool(data_dir / name, TDG_MAPPING, limit=5)
        assert len(problems) == 5 and len(samples) == 40
        assert all(not p.question.startswith("Problem:") for p in problems)
        assert {x.teacher for x in samples} == {teacher}
        assert all(p.id.startswith("train/") and p.answer and p.meta.get("subject") for p in problems)


def test_refuses_to_resume_an_import_of_another_file(tmp_path):
    from mathdistill.errors import MathdistillError

    a = write_gz(tmp_path / "a.jsonl.gz", TDG_ROWS[:1])
    b = write_gz(tmp_path / "b.jsonl.gz", TDG_ROWS[1:])
    import_pool(a, tmp_path / "o", TDG_MAPPING, workers=1, progress=False)
    with pytest.raises(MathdistillError, match="already holds an import of"):
        import_pool(b, tmp_path / "o", TDG_MAPPING, workers=1, progress=False)


def test_refuses_to_mix_grader_versions(tmp_path):
    from mathdistill.errors import MathdistillError

    a = write_gz(tmp_path / "a.jsonl.gz", TDG_ROWS)
    import_pool(a, tmp_path / "o", TDG_MAPPING, workers=1, progress=False)
    run = json.loads((tmp_path / "o" / "run.json").read_text())
    (tmp_path / "o" / "run.json").write_text(json.dumps({**run, "grader": "mathdistill-grader/0.0"}))
    with pytest.raises(MathdistillError, match="graded by mathdistill-grader/0.0"):
        import_pool(a, tmp_path / "o", TDG_MAPPING, workers=1, progress=False)


def test_same_question_with_different_golds_is_an_error(tmp_path):
    """Issue 23: without an id field, lines are grouped by question text but each is graded
    against its own gold, so a response could become a positive for another problem."""
    src = tmp_path / "pool.jsonl"
    rows = [{"query": "What is x?", "resp": "\\boxed{4}", "gt": "4"},
            {"query": "What is y?", "resp": "\\boxed{1}", "gt": "1"},
            {"query": "What is x?", "resp": "\\boxed{5}", "gt": "5"}]
    src.write_text("".join(json.dumps(r) + "\n" for r in rows))
    m = PoolMapping(question_field="query", responses_field="resp", answer_field="gt")
    with pytest.raises(DataError, match=r"pool.jsonl:3: field 'gt': gold '5' differs from '4' of the same "
                                        r"question \(no id field\) at line 1"):
        import_pool(src, tmp_path / "o", m, workers=1, progress=False)
    assert not (tmp_path / "o").exists()  # refused before anything was written
    # With an id field that tells them apart, they are two problems.
    for i, r in enumerate(rows):
        r["id"] = f"p{i}"
    src.write_text("".join(json.dumps(r) + "\n" for r in rows))
    problems, _ = parse_pool(src, PoolMapping(question_field="query", responses_field="resp", answer_field="gt",
                                              id_field="id"))
    assert [p.answer for p in problems] == ["4", "1", "5"]


@pytest.mark.parametrize("answer, why", [
    ("We add the two numbers and get two, which is the final answer.", "worked solution without"),
    ("So $x = 2$.\nThen we double it to find that the result is $4$ in the end.", "worked solution without"),
    ("The sum is \\boxed{ }.", "the final answer is empty"),
    ("   ", "missing or empty"),
])
def test_gold_that_marks_no_final_answer_names_file_line_field(tmp_path, answer, why):
    """Issue 23: a TDG reference without \\boxed used to become a whole sentence used as gold."""
    src = write_gz(tmp_path / "bad.jsonl.gz", [TDG_ROWS[0], {**TDG_ROWS[0], "unique_id": "u2", "answer": answer}])
    with pytest.raises(DataError, match=rf"bad.jsonl.gz:2: field 'answer': .*{why}"):
        parse_pool(src, TDG_MAPPING)


def test_short_golds_with_words_are_answers(tmp_path):
    src = tmp_path / "pool.jsonl"
    golds = ["\\text{Devon}", "12 inches", "no solution", "June 20", "(1,2)", "\\frac{1}{2}"]
    src.write_text("".join(json.dumps({"q": f"Q{i}", "r": "x", "a": g}) + "\n" for i, g in enumerate(golds)))
    problems, _ = parse_pool(src, PoolMapping(question_field="q", responses_field="r", answer_field="a"))
    assert [p.answer for p in problems] == golds
