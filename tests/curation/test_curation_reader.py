"""Loading samples dirs: malformed lines, missing problems.jsonl, question recovery."""

from __future__ import annotations

import json

import pytest
from curation_helpers import mk, problem, write_dir

from mathdistill.curation.reader import _template_patterns, load_samples_dir, question_from_prompt
from mathdistill.data.prompts import make_prompter
from mathdistill.errors import DataError
from mathdistill.records import Problem


def test_malformed_sample_line_names_file_line_field(tmp_path):
    d = write_dir(tmp_path / "s", [mk("P", 0, "a", True), mk("P", 1, "b", True)], [problem("P")])
    lines = (d / "samples.jsonl").read_text().splitlines()
    bad = json.loads(lines[1])
    bad["sample_idx"] = "one"
    (d / "samples.jsonl").write_text(lines[0] + "\n" + json.dumps(bad) + "\n")
    with pytest.raises(DataError, match=r"samples.jsonl:2: field 'sample_idx': expected int"):
        load_samples_dir(d)
    (d / "samples.jsonl").write_text(lines[0] + "\n{not json\n" + lines[1] + "\n")
    with pytest.raises(DataError, match=r"samples.jsonl:2: malformed JSON"):
        load_samples_dir(d)


def test_ungraded_sample_is_an_error(tmp_path):
    s = mk("P", 0, "a", True)
    s.correct = None
    d = write_dir(tmp_path / "s", [s], [problem("P")])
    with pytest.raises(DataError, match=r"samples.jsonl:1: field 'correct': sample is not graded"):
        load_samples_dir(d)


def test_not_a_samples_dir(tmp_path):
    with pytest.raises(DataError, match="no samples.jsonl"):
        load_samples_dir(tmp_path)


def test_empty_samples_file_is_refused_by_the_library(tmp_path):
    from mathdistill.curation.config import CurateConfig
    from mathdistill.curation.pipeline import curate

    d = write_dir(tmp_path / "s", [], [problem("P")])
    with pytest.raises(DataError, match=r"s/samples.jsonl: no samples to curate"):
        load_samples_dir(d)
    with pytest.raises(DataError, match=r"s/samples.jsonl: no samples to curate"):
        curate(d, tmp_path / "o", CurateConfig(plots=False))
    assert not (tmp_path / "o").exists()


def test_duplicate_keys_keep_first(tmp_path):
    d = write_dir(tmp_path / "s", [mk("P", 0, "a", True), mk("P", 0, "b", False)], [problem("P")])
    sd = load_samples_dir(d)
    assert [s.response for s in sd.samples] == ["a"] and sd.duplicate_keys == 1


def test_questions_recovered_from_prompts_without_problems_jsonl(tmp_path):
    p = Problem(
        id="X", question="Find $x$ if $2x = 4$.\nGive a number.", answer="2", meta={"subject": "Algebra"}
    )
    few = make_prompter("boxed_cot", 0)
    few.exemplars, few.n_shots = [Problem(id="E", question="What is 1+1?", answer="2", solution="2")], 1
    s_plain = mk("X", 0, "r", True)
    s_plain.prompt = few.plain_text(p)  # few-shot plain prompt: the last question is the one asked
    d = write_dir(tmp_path / "s", [s_plain])
    sd = load_samples_dir(d)
    assert sd.question_from == "prompt"
    assert sd.problems["X"].question == p.question
    assert sd.problems["X"].meta == {"subject": "Algebra", "level": 2}


def test_question_from_chat_rendered_prompt():
    p = Problem(id="X", question="Compute $3^2$.", answer="9")
    user = make_prompter("boxed_cot", 0).messages(p)[-1]["content"]
    chat = f"<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\n{user}<|im_end|>\n<|im_start|>assistant\n"
    assert question_from_prompt(chat, _template_patterns({})) == "Compute $3^2$."
    assert question_from_prompt("nothing matches", _template_patterns({})) is None


def test_problems_from_a_source(tmp_path):
    d = write_dir(tmp_path / "s", [mk("gsm8k/test/0", 0, "r", True)])
    bench = tmp_path / "probs.jsonl"
    bench.write_text(json.dumps({"id": "gsm8k/test/0", "question": "Real question?", "answer": "3"}) + "\n")
    sd = load_samples_dir(d, problems_source=str(bench))
    assert sd.problems["gsm8k/test/0"].question == "Real question?"
    d2 = write_dir(tmp_path / "s2", [mk("other", 0, "r", True)])
    with pytest.raises(DataError, match="no problem text"):
        load_samples_dir(d2, problems_source=str(bench))


def test_problems_from_the_sampler_run_json(tmp_path):
    # The sampler records its problem source in run.json: problems are reloaded from it.
    bench = tmp_path / "probs.jsonl"
    bench.write_text(
        json.dumps({"id": "p0", "question": "Full question text?", "answer": "3", "level": 4}) + "\n"
    )
    d = write_dir(tmp_path / "s", [mk("p0", 0, "r", True)])
    (d / "run.json").write_text(json.dumps({"config": {"data": str(bench), "split": "train"}}))
    sd = load_samples_dir(d)
    assert sd.question_from == "run.json" and sd.problems["p0"].question == "Full question text?"
    assert sd.problems["p0"].level == "4"
    # An unreachable source falls back to the prompts.
    (d / "run.json").write_text(
        json.dumps({"config": {"data": str(tmp_path / "gone.jsonl"), "split": "train"}})
    )
    sd = load_samples_dir(d)
    assert sd.question_from == "prompt" and sd.problems["p0"].question == "Q p0"


def test_question_recovery_is_linear_on_a_long_prompt():
    """Issue 23: the recovery regex took 28 s on one 270 kB prompt (quadratic backtracking when the
    prompt repeats a template prefix without its suffix). String search is linear: a 270 kB
    worst case now takes milliseconds; the bound is 100 x that, far below the old time."""
    import time

    pats = _template_patterns({})
    for prompt in ("Problem:\n" * 30_000, "Question: x\n" * 22_500):
        t0 = time.perf_counter()
        assert question_from_prompt(prompt, pats) is None
        assert time.perf_counter() - t0 < 1.0
    asked = "Problem:\nWhat is 1+1?\n\nSolution:\n2\n\n" * 10_000 + "Problem:\nWhat is 2+2?\n\nSolution:\n"
    assert question_from_prompt(asked, pats) == "What is 2+2?"


def test_question_from_the_last_user_turn_of_a_chat_prompt():
    """Few-shot exemplars as earlier chat turns: the question is the one of the last user turn."""
    p = Problem(id="X", question="Compute $3^2$.", answer="9")
    tpl = make_prompter("boxed_cot", 0)
    shot = tpl.messages(Problem(id="E", question="What is 1+1?", answer="2"))[-1]["content"]
    user = tpl.messages(p)[-1]["content"]
    chat = (f"<|im_start|>user\n{shot}<|im_end|>\n<|im_start|>assistant\n\\boxed{{2}}<|im_end|>\n"
            f"<|im_start|>user\n{user}<|im_end|>\n<|im_start|>assistant\n")
    assert question_from_prompt(chat, _template_patterns({})) == "Compute $3^2$."
