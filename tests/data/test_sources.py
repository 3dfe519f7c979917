import json

import pytest

from mathdistill.data.answers import gsm8k_solution_to_cot
from mathdistill.grading.grader import reference_answer
from mathdistill.data.sources import load_local_jsonl, load_problems
from mathdistill.errors import DataError, MathdistillError


@pytest.mark.parametrize(
    "source,split,n",
    [("gsm8k", "train", 7473), ("gsm8k", "test", 1319), ("math", "train", 7500), ("math", "test", 5000),
     ("math500", "test", 500), ("svamp", "test", 1000), ("asdiv", "test", 2305)],
)
def test_counts(data_dir, source, split, n):
    probs = load_problems(source, split, data_dir=data_dir)
    assert len(probs) == n
    assert len({p.id for p in probs}) == n, "ids must be unique"
    assert all(p.answer.strip() for p in probs), "every problem has a gold answer"


def test_gsm8k_gold_and_ids(data_dir):
    p = load_problems("gsm8k", "test", data_dir=data_dir, limit=1)[0]
    assert p.id == "gsm8k/test/0" and p.answer == "18" and p.source == "gsm8k"
    assert all("," not in q.answer for q in load_problems("gsm8k", "train", data_dir=data_dir))


@pytest.mark.parametrize(
    "sol,gold",
    [("so #### 1,000", "1000"), ("a\n#### -3", "-3"), ("#### 0.5 ", "0.5"), ("no marker", None)],
)
def test_gsm8k_gold_edge_cases(sol, gold):
    assert reference_answer(sol) == gold


@pytest.mark.parametrize(
    "sol,gold",
    [
        (r"so $\boxed{\frac{1}{2}}$.", r"\frac{1}{2}"),
        (r"first \boxed{1} then \boxed{2}", "2"),
        (r"$\boxed{\left\{ 1, 2 \right\}}$", r"\left\{ 1, 2 \right\}"),
        (r"answer \boxed 2.", "2"),
        (r"answer is $\boxed 9$", "9"),
        (r"\boxed{\{1,2\}}", r"\{1,2\}"),
        (r"\fbox{7}", "7"),
        (r"\boxed{unbalanced", None),
        (r"\boxed{}", ""),
        ("nothing here", None),
        (r"\boxed{\text{(A)}}", r"\text{(A)}"),
    ],
)
def test_math_gold_edge_cases(sol, gold):
    assert reference_answer(sol) == gold


def test_math_known_problems(data_dir):
    train = {p.id: p for p in load_problems("math", "train", data_dir=data_dir)}
    assert train["train/algebra/24014.json"].answer == "2"  # "\boxed 2" form
    assert train["train/algebra/25040.json"].answer == "9"
    assert train["train/number_theory/7115.json"].answer == "0"  # empty-box erratum
    p = train["train/algebra/24014.json"]
    assert p.meta["subject"] == "Algebra" and isinstance(p.meta["level"], int)


def test_math500_matches_math_test(data_dir):
    m500 = load_problems("math500", "test", data_dir=data_dir)
    mtest = {p.id: p for p in load_problems("math", "test", data_dir=data_dir)}
    same = sum(mtest[p.id].answer == p.answer for p in m500)
    assert same >= 495  # the answer field equals the last \boxed for (almost) all rows
    assert all(p.meta["level"] in (1, 2, 3, 4, 5) for p in m500)


def test_svamp_asdiv_answers(data_dir):
    sv = load_problems("svamp", "test", data_dir=data_dir, limit=3)
    assert all(p.answer.lstrip("-").replace(".", "").isdigit() for p in sv)
    asd = load_problems("asdiv", "test", data_dir=data_dir)
    assert asd[0].answer == "9" and asd[0].id.startswith("asdiv/")


def test_unknown_source_and_split(data_dir):
    with pytest.raises(MathdistillError, match="unknown data source"):
        load_problems("nope", data_dir=data_dir)
    with pytest.raises(MathdistillError, match="no split 'train'"):
        load_problems("math500", "train", data_dir=data_dir)


def test_local_jsonl_field_mapping(tmp_path):
    p = tmp_path / "mine.jsonl"
    rows = [
        {"qid": "a", "q": "1+1?", "gold": 2},
        {"qid": "b", "q": "half?", "gold": r"Thus $\boxed{\frac12}$"},
        {"qid": "c", "q": "gsm?", "gold": "3+4=7\n#### 7"},
    ]
    p.write_text("".join(json.dumps(r) + "\n" for r in rows))
    probs = load_local_jsonl(p, question_field="q", answer_field="gold", id_field="qid")
    assert [(x.id, x.answer) for x in probs] == [("a", "2"), ("b", r"\frac12"), ("c", "7")]
    assert probs[1].solution.startswith("Thus")
    # defaults: question/answer/id field names are guessed
    q = tmp_path / "plain.jsonl"
    q.write_text(json.dumps({"problem": "x?", "answer": "4"}) + "\n")
    (prob,) = load_problems(str(q))
    assert prob.id == "plain/0" and prob.question == "x?"


@pytest.mark.parametrize(
    "row,field,msg",
    [
        ({"question": "q"}, "answer", "missing or empty"),
        ({"question": "q", "answer": ""}, "answer", "missing or empty"),
        ({"answer": "3"}, "question", "missing or empty"),
        ({"question": "q", "answer": [1]}, "answer", "expected a string"),
        ({"question": "q", "answer": r"\boxed{}"}, "answer", "no final answer"),
    ],
)
def test_local_jsonl_errors(tmp_path, row, field, msg):
    p = tmp_path / "bad.jsonl"
    p.write_text(json.dumps({"question": "ok", "answer": "1"}) + "\n" + json.dumps(row) + "\n")
    with pytest.raises(DataError) as e:
        load_local_jsonl(p)
    assert str(e.value).startswith(f"{p}:2: field '{field}':") and msg in str(e.value)


def test_duplicate_ids_rejected(tmp_path):
    p = tmp_path / "dup.jsonl"
    p.write_text('{"id": 1, "question": "a", "answer": "1"}\n{"id": 1, "question": "b", "answer": "2"}\n')
    with pytest.raises(DataError, match=":2: field 'id': duplicate"):
        load_local_jsonl(p)


def test_missing_local_file_is_clear(tmp_path):
    with pytest.raises(DataError, match="file not found"):
        load_problems("gsm8k", "test", data_dir=tmp_path)


def test_gsm8k_cot_exemplar_format():
    cot = gsm8k_solution_to_cot("He has 3+4=<<3+4=7>>7 apples.\n#### 7")
    assert cot == "He has 3+4=7 apples.\nThe answer is 7."
