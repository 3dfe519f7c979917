import pytest

from mathdistill.data.prompts import TEMPLATES, Prompter, choose_exemplars, get_template, make_prompter
from mathdistill.data.sources import load_problems
from mathdistill.errors import MathdistillError
from mathdistill.records import Problem

P = Problem(id="x", question="What is 2+3?", answer="5")


def test_templates_render_plain():
    for name, t in TEMPLATES.items():
        text = Prompter(t).plain_text(P)
        assert "What is 2+3?" in text, name
    assert "\\boxed{}" in Prompter(get_template("boxed_cot")).messages(P)[-1]["content"]
    with pytest.raises(MathdistillError, match="unknown prompt template"):
        get_template("nope")


def test_few_shot_is_deterministic_from_train_and_excludes_problem(data_dir):
    a = make_prompter("gsm8k", 3, source="gsm8k", split="test", data_dir=data_dir, seed=0)
    b = make_prompter("gsm8k", 3, source="gsm8k", split="test", data_dir=data_dir, seed=0)
    assert a.describe() == b.describe()
    ids = a.describe()["exemplar_ids"]
    assert len(ids) == 3 and all(i.startswith("gsm8k/train/") for i in ids)
    test_p = load_problems("gsm8k", "test", data_dir=data_dir, limit=1)[0]
    msgs = a.messages(test_p)
    assert [m["role"] for m in msgs] == ["user", "assistant"] * 3 + ["user"]
    assert msgs[1]["content"].rstrip().endswith(".") and "The answer is" in msgs[1]["content"]
    assert "<<" not in msgs[1]["content"], "calculator annotations are stripped from exemplars"
    # a problem that is itself an exemplar is replaced by the spare
    ex = a.exemplars[0]
    shots = a.shots_for(ex)
    assert ex.id not in [s.id for s in shots] and len(shots) == 3
    # a different seed gives different exemplars
    c = make_prompter("gsm8k", 3, source="gsm8k", split="test", data_dir=data_dir, seed=1)
    assert c.describe()["exemplar_ids"] != ids


def test_math500_shots_come_from_math_train(data_dir):
    pr = make_prompter("boxed_cot", 2, source="math500", data_dir=data_dir)
    assert all(i.startswith("train/") for i in pr.describe()["exemplar_ids"])
    text = pr.plain_text(P)
    assert text.count("Problem:") == 3 and "\\boxed" in text


def test_local_jsonl_needs_shots_from(tmp_path):
    with pytest.raises(MathdistillError, match="--shots-from"):
        make_prompter("raw", 2, source=str(tmp_path / "x.jsonl"))


def test_choose_exemplars_needs_enough():
    with pytest.raises(MathdistillError):
        choose_exemplars([P], 1)


def test_chat_template_applied_with_real_tokenizer(smollm2_path):
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(smollm2_path)
    pr = Prompter(get_template("boxed_cot"))
    text = pr.render(P, tok)
    assert text.startswith("<|im_start|>") and text.rstrip().endswith("<|im_start|>assistant")
    assert pr.stop(tok) == []
    alpaca = Prompter(get_template("alpaca"))
    assert alpaca.render(P, tok).startswith("Below is an instruction")  # alpaca stays plain
    assert alpaca.stop(tok)
