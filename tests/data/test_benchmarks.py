"""The benchmark registry: every entry loads a small local file in its Hub dataset's schema (field names
and types as on the Hub), the Hub path goes through `datasets` on a local dataset folder, and bad
input is one clear line."""

import json

import pytest

from mathdistill.data.benchmarks import SUITES, choice_order, suite_specs
from mathdistill.data.registry import ANSWER_TYPES, DataSpec, parse_data_spec
from mathdistill.data.sources import SOURCES, load_problems
from mathdistill.errors import DataError, MathdistillError
from mathdistill.grading import grade


def _write(path, rows):
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


# One or more rows per benchmark in the exact schema of its Hub dataset, and what each must become:
# (id, gold, subject or None). Adding a benchmark adds a case here (test_every_entry_has_a_case).
CASES = {
    "aime24": ([{"id": 60, "problem": "Every morning Aya goes for a $9$-kilometer-long walk ...",
                 "solution": "... so the answer is $\\boxed{204}$.", "answer": "204",
                 "url": "https://artofproblemsolving.com/wiki/index.php/2024_AIME_I_Problems/Problem_1",
                 "year": "2024"}],
               [("aime24/60", "204", None)]),
    "aime25": ([{"id": "I-1", "problem": "Find the sum of all integer bases $b>9$ for which $17_b$ divides $97_b$.",
                 "solution": "", "answer": "70", "url": "https://artofproblemsolving.com/wiki", "year": "2025"}],
               [("aime25/I-1", "70", None)]),
    "amc23": ([{"id": 0, "question": "Cities $A$ and $B$ are $45$ miles apart ...", "answer": 27.0,
                "url": "https://artofproblemsolving.com/wiki/index.php/2023_AMC_12A_Problems/Problem_1"},
               {"id": 1, "question": "What is $0.5$ doubled and halved?", "answer": 0.5, "url": ""}],
              [("amc23/0", "27", None), ("amc23/1", "0.5", None)]),
    "hmmt_feb25": ([{"problem_idx": 1, "problem": "Compute the sum of the positive divisors of $9!$ ...",
                     "answer": "103", "problem_type": ["Number Theory"]},
                    {"problem_idx": 2, "problem": "Find $x$.", "answer": "\\frac{1}{2}",
                     "problem_type": ["Algebra", "Geometry"]}],
                   [("hmmt_feb25/1", "103", "Number Theory"), ("hmmt_feb25/2", "\\frac{1}{2}", "Algebra, Geometry")]),
    "minerva": ([{"question": "Each of the two Magellan telescopes has a diameter of $6.5 \\mathrm{~m}$ ...",
                  "answer": "1.6"}],
                [("minerva/0", "1.6", None)]),
    "olympiadbench": ([{"id": 1606, "subfield": "Combinatorics", "context": None,
                        "question": "Xenia and Sergey play the following game ...", "solution": ["First ...", "So"],
                        "final_answer": ["$2^{n}$"], "is_multiple_answer": False, "unit": None,
                        "answer_type": "Expression", "error": None, "question_type": "Open-ended",
                        "subject": "Math", "language": "English", "modality": "Text-only"},
                       {"id": 1607, "subfield": "Algebra", "context": "Let $f(x)=x^2$.",
                        "question": "Find all real $x$ with $f(x)=4$.", "solution": ["..."],
                        "final_answer": ["$2$", "$-2$"], "is_multiple_answer": True, "unit": None,
                        "answer_type": "Numerical", "error": None, "question_type": "Open-ended",
                        "subject": "Math", "language": "English", "modality": "Text-only"},
                       # not in the benchmark: Chinese; and a multimodal row
                       {"id": 1, "subfield": "Algebra", "context": None, "question": "q", "solution": ["s"],
                        "final_answer": ["1"], "is_multiple_answer": False, "unit": None, "answer_type": "Numerical",
                        "error": None, "question_type": "Open-ended", "subject": "Math", "language": "Chinese",
                        "modality": "Text-only"},
                       {"id": 2, "subfield": "Geometry", "context": None, "question": "q <image_1>",
                        "solution": ["s"], "final_answer": ["1"], "is_multiple_answer": False, "unit": None,
                        "answer_type": "Numerical", "error": None, "question_type": "Open-ended", "subject": "Math",
                        "language": "English", "modality": "Multimodal"}],
                      [("olympiadbench/1606", "2^{n}", "Combinatorics"), ("olympiadbench/1607", "2, -2", "Algebra")]),
    "gpqa_diamond": ([{"Record ID": "recXYZ", "Question": "What is the product of the reaction ...?",
                       "Correct Answer": "4-bromobenzoic acid", "Incorrect Answer 1": "benzoic acid",
                       "Incorrect Answer 2": "bromobenzene", "Incorrect Answer 3": "toluene [title]",
                       "Explanation": "Because ...", "Subdomain": "Organic Chemistry",
                       "High-level domain": "Chemistry", "Writer's Difficulty Estimate": "Hard graduate level"}],
                     [("gpqa_diamond/recXYZ", None, "Organic Chemistry")]),
    "college_math": ([{"data_source": "college_math.Beginning_and_Intermediate_Algebra",
                       "question_number": "exercise.8.3.20",
                       "question": "Simplify: $-3 \\sqrt{18}-\\sqrt{8}+2 \\sqrt{8}+2 \\sqrt{8}$",
                       "answer": "$-3 \\sqrt{2}$",
                       "license": "Creative Commons Attribution 3.0 Unported License (CC BY 3.0)",
                       "data_topic": "college_math.algebra"}],
                     [("college_math/0", "-3 \\sqrt{2}", "algebra")]),
    "deepmind_math": ([{"question": "Solve -282*d + 929 - 178 = -1223 for d.", "answer": "7"}],
                      [("deepmind_math/0", "7", None)]),
    "theoremqa": ([{"Question": "How many frames are lost?", "Answer": "833.33", "Answer_type": "float",
                    "Picture": None},
                   {"Question": "Is the graph planar?", "Answer": True, "Answer_type": "bool", "Picture": None},
                   {"Question": "Find the C-coordinate vector of y.", "Answer": [3.33, 1.33],
                    "Answer_type": "list of float", "Picture": None}],
                  [("theoremqa/0", "833.33", None), ("theoremqa/1", "True", None),
                   ("theoremqa/2", "[3.33, 1.33]", None)]),
}
# Sources with their own tests (the shared data folder, generated sets).
ELSEWHERE = {"gsm8k", "math", "math500", "svamp", "asdiv", "arith", "rg"}


def test_every_entry_has_a_case():
    assert set(SOURCES) == set(CASES) | ELSEWHERE


@pytest.mark.parametrize("name", sorted(CASES))
def test_local_file_in_hub_schema(tmp_path, name):
    rows, want = CASES[name]
    b = SOURCES[name]
    _write(tmp_path / b.files["test"], rows)
    probs = load_problems(name, "test", data_dir=tmp_path)
    assert [p.id for p in probs] == [w[0] for w in want]
    for p, (_, gold, subject) in zip(probs, want, strict=True):
        if gold is not None:
            assert p.answer == gold
        assert p.subject == subject and p.source == name and p.question.strip()
    assert load_problems(name, "test", data_dir=tmp_path, limit=1) == probs[:1]


def test_entries_are_complete():
    for b in SOURCES.values():
        assert b.answer_type in ANSWER_TYPES and b.license and b.size and b.graded and b.n >= 1, b.name
        assert all(b.files.values()) or b.generate is not None, b.name
    for suite in SUITES:
        assert all(DataSpec(*s.split(":")[:1], int(s.split(":")[1])) == parse_data_spec(s) for s in suite_specs(suite))


def test_olympiad_context_goes_first(tmp_path):
    _write(tmp_path / SOURCES["olympiadbench"].files["test"], CASES["olympiadbench"][0])
    p = load_problems("olympiadbench", "test", data_dir=tmp_path)[1]
    assert p.question == "Let $f(x)=x^2$.\nFind all real $x$ with $f(x)=4$."
    assert p.meta["is_multiple_answer"] is True and p.solution == "..."


def test_gpqa_choices_shuffled_per_seed_and_recorded(tmp_path):
    _write(tmp_path / "gpqa_diamond.jsonl", CASES["gpqa_diamond"][0])
    by_seed = {s: load_problems("gpqa_diamond", "test", data_dir=tmp_path, seed=s)[0] for s in range(6)}
    for seed, p in by_seed.items():
        assert p.meta["choice_seed"] == seed and len(p.meta["choices"]) == 4
        assert p.meta["choices"]["ABCD".index(p.answer)] == "4-bromobenzoic acid" == p.meta["gold_text"]
        assert "toluene." in p.meta["choices"] and "[title]" not in " ".join(p.meta["choices"])
        for k, c in enumerate(p.meta["choices"]):
            assert f"{'ABCD'[k]}) {c}" in p.question
        assert p == load_problems("gpqa_diamond", "test", data_dir=tmp_path, seed=seed)[0]  # deterministic
    assert len({p.answer for p in by_seed.values()}) > 1  # the seed moves the correct option
    assert sorted(choice_order("x", 4, 0)) == [0, 1, 2, 3]
    # graded by letter and by option text (the grader's letter support, with the recorded choices)
    p = by_seed[0]
    wrong = next(c for c in p.meta["choices"] if c != p.meta["gold_text"])
    assert grade(f"... so the answer is ({p.answer}).", p.answer, choices=p.meta["choices"]).correct
    assert grade("The answer is \\boxed{4-bromobenzoic acid}", p.answer, choices=p.meta["choices"]).correct
    assert not grade(f"The answer is \\boxed{{{wrong}}}", p.answer, choices=p.meta["choices"]).correct


# --- the Hub path: `datasets` on a local dataset folder laid out as on the Hub ----------------


@pytest.fixture
def hub_folder(tmp_path, monkeypatch):
    """Make `name`'s Hub id point at a local folder with a README `configs:` block, as on the Hub."""
    pytest.importorskip("datasets")
    import dataclasses

    import datasets

    monkeypatch.delenv("MATHDISTILL_DATA", raising=False)
    monkeypatch.setattr(datasets.config, "HF_DATASETS_CACHE", tmp_path / "cache")

    def make(name, rows):
        b = SOURCES[name]
        folder = tmp_path / "hub" / name
        config = b.hub.config or "default"
        split = b.hub.splits["test"]
        (folder / "data").mkdir(parents=True)
        _write(folder / "data" / f"{split}-00000-of-00001.jsonl", rows)
        (folder / "README.md").write_text(f"---\nconfigs:\n- config_name: {config}\n  data_files:\n"
                                          f"  - split: {split}\n    path: data/{split}-*\n---\n")
        monkeypatch.setitem(SOURCES, name, dataclasses.replace(b, hub=dataclasses.replace(b.hub, id=str(folder))))
        return folder

    return make


@pytest.mark.parametrize("name", ["aime24", "amc23", "olympiadbench", "gpqa_diamond"])
def test_hub_path_through_datasets(hub_folder, tmp_path, name):
    rows, want = CASES[name]
    hub_folder(name, rows)
    probs = load_problems(name, "test")
    assert [p.id for p in probs] == [w[0] for w in want]
    _write(tmp_path / SOURCES[name].files["test"], rows)
    assert probs == load_problems(name, "test", data_dir=tmp_path)  # same problems either way


def test_gated_set_without_access_is_one_line(monkeypatch):
    datasets = pytest.importorskip("datasets")
    from mathdistill.data import registry

    def refuse(*a, **k):
        raise datasets.exceptions.DatasetNotFoundError(
            "Dataset 'Idavidrein/gpqa' is a gated dataset on the Hub. You must be authenticated to access it.")

    monkeypatch.delenv("MATHDISTILL_DATA", raising=False)
    monkeypatch.setattr(registry, "load_dataset", refuse)
    with pytest.raises(MathdistillError) as e:
        load_problems("gpqa_diamond", "test")
    msg = str(e.value)
    assert "\n" not in msg and "gated" in msg and "huggingface.co/datasets/Idavidrein/gpqa" in msg
    assert "gpqa_diamond.jsonl" in msg and "--data-dir" in msg


def test_no_hub_copy_says_where_to_get_it(monkeypatch):
    monkeypatch.delenv("MATHDISTILL_DATA", raising=False)
    with pytest.raises(MathdistillError, match="no Hugging Face Hub copy.*MWPBench.*college_math_test.jsonl"):
        load_problems("college_math", "test")


# --- bad input: one clear line each -----------------------------------------------------------


@pytest.mark.parametrize("spec,msg", [
    ("aime25:0", "samples per problem must be >= 1, got 0"),
    ("aime25:-1", "samples per problem must be >= 1, got -1"),
    ("aime25:abc", "expected aime25:N with N a whole number"),
])
def test_bad_sample_counts(spec, msg):
    with pytest.raises(MathdistillError, match=msg):
        parse_data_spec(spec)


def test_data_specs():
    assert parse_data_spec("aime25:64") == DataSpec("aime25", 64)
    assert parse_data_spec("math500") == DataSpec("math500")
    assert parse_data_spec("arith:steps=1:4") == DataSpec("arith:steps=1", 4)
    assert parse_data_spec("rg:chain_sum:max_terms=3") == DataSpec("rg:chain_sum:max_terms=3")
    assert parse_data_spec("data/my:file.jsonl", is_path=lambda s: s.endswith(".jsonl")).source == "data/my:file.jsonl"
    assert str(DataSpec("aime25", 64)) == "aime25:64"


def test_unknown_name_lists_close_names():
    with pytest.raises(MathdistillError) as e:
        load_problems("aime2025")
    assert "unknown data source 'aime2025'" in str(e.value) and "did you mean aime25" in str(e.value)
    assert "\n" not in str(e.value)


def test_local_file_with_wrong_fields(tmp_path):
    _write(tmp_path / "aime24.jsonl", [{"question": "q?", "gold": "3"}])
    with pytest.raises(DataError) as e:
        load_problems("aime24", "test", data_dir=tmp_path)
    msg = str(e.value)
    assert msg.startswith(f"{tmp_path / 'aime24.jsonl'}:1: field 'problem': missing")
    assert "problem, answer" in msg and "this row has question, gold" in msg and "\n" not in msg
