"""The generated `arith` source: exact answers, disjoint splits, determinism, the steps knob."""

import re

import pytest

from mathdistill.data import arith
from mathdistill.grading.grader import reference_answer
from mathdistill.data.sources import SOURCES, load_problems
from mathdistill.errors import MathdistillError


def test_sizes_and_answers_recomputed_from_params():
    train, test = load_problems("arith", "train"), load_problems("arith", "test")
    assert (len(train), len(test)) == (2000, 500)
    for p in train + test:
        assert p.answer == str(arith.compute(p.meta["params"]))
        assert int(p.answer) >= 0
        assert reference_answer(p.solution) == p.answer  # the worked solution ends in '#### N'
        assert 1 <= p.meta["steps"] <= 2
        # one solution line per reasoning step (what eval uses as difficulty)
        assert len(p.solution.rsplit("####", 1)[0].strip().splitlines()) == p.meta["steps"]
        assert p.question.endswith("?") and p.source == "arith"
        # the numbers in the text are the parameters
        nums = [int(x) for x in re.findall(r"\d+", p.question)]
        params = p.meta["params"]
        assert nums == params["start"] + [n for _, n in params["ops"]]


def test_splits_disjoint_and_ids_unique():
    for name in ("arith", "arith:steps=1", "arith:steps=3:seed=5"):
        train, test = load_problems(name, "train"), load_problems(name, "test")
        assert not {p.question for p in train} & {p.question for p in test}
        assert len({p.id for p in train + test}) == len(train) + len(test)
    # also across settings: split membership is a function of the question text
    other = load_problems("arith:steps=1:seed=9", "train")
    assert not {p.question for p in other} & {p.question for p in load_problems("arith", "test")}


def test_deterministic_and_seeded():
    a = [p.to_dict() for p in load_problems("arith", "test", limit=50)]
    assert a == [p.to_dict() for p in load_problems("arith", "test", limit=50)]
    b = [p.question for p in load_problems("arith:seed=1", "test", limit=50)]
    assert b != [p["question"] for p in a]
    # a prefix is stable under a bigger size
    big = load_problems("arith:test=800", "test")
    assert [p.to_dict() for p in big[:50]] == a


@pytest.mark.parametrize("name,lo,hi", [("arith:steps=1", 1, 1), ("arith:steps=3", 3, 3),
                                        ("arith:steps=2-4", 2, 4)])
def test_steps_knob(name, lo, hi):
    ps = load_problems(name, "train", limit=300)
    steps = {p.meta["steps"] for p in ps}
    assert steps == set(range(lo, hi + 1))
    for p in ps:
        assert len(p.meta["params"]["ops"]) + (len(p.meta["params"]["start"]) == 2) == p.meta["steps"]


def test_one_step_example_reads_naturally():
    p = load_problems("arith:steps=1", "train", limit=1)[0]
    assert re.match(r"^[A-Z][a-z]+ has \d+ ", p.question)


def test_bad_names_are_one_clear_error():
    with pytest.raises(MathdistillError, match="unknown option 'foo'"):
        load_problems("arith:foo=1", "train")
    with pytest.raises(MathdistillError, match="steps"):
        load_problems("arith:steps=0", "train")
    with pytest.raises(MathdistillError, match="no split 'validation'"):
        load_problems("arith", "validation")


def test_registered_like_other_sources():
    assert "arith" in SOURCES and "arith:steps=1" in SOURCES
    assert SOURCES["arith"].default_template == "gsm8k"
    assert SOURCES["arith:steps=1"].exemplar_source == ("arith:steps=1", "train")
    from mathdistill.data.prompts import make_prompter

    pr = make_prompter("gsm8k", 2, source="arith:steps=1", split="test")
    train_ids = {p.id for p in load_problems("arith:steps=1", "train")}
    assert set(pr.describe()["exemplar_ids"]) <= train_ids
    assert "The answer is" in pr.plain_text(load_problems("arith:steps=1", "test", limit=1)[0])


def test_data_cli_stats_and_show():
    from typer.testing import CliRunner

    from mathdistill.cli.main import app

    r = CliRunner().invoke(app, ["data", "stats", "arith:steps=1"])
    assert r.exit_code == 0, r.output
    assert "2000" in r.output and "500" in r.output
    r = CliRunner().invoke(app, ["data", "show", "arith", "--split", "test", "--limit", "2"])
    assert r.exit_code == 0, r.output
    assert "has" in r.output


def test_sample_and_eval_accept_arith(tmp_path):
    """The fake backend answers every problem '5': graded against arith's exact answers."""
    from mathdistill.eval.config import EvalConfig
    from mathdistill.eval.pipeline import run_eval
    from mathdistill.sampling import SampleConfig, run_sampling

    s = run_sampling(SampleConfig(data="arith:steps=1", split="train", limit=6, model="fake", backend="fake",
                                  k=2, out=str(tmp_path / "s"), grading_workers=1, progress=False,
                                  backend_options={"default": "The answer is 5."}))
    assert s["problems"] == 6 and s["samples"] == 12
    want = sum(p.answer == "5" for p in load_problems("arith:steps=1", "train", limit=6))
    assert s["correct"] == 2 * want
    doc = run_eval(EvalConfig(model="fake", backend="fake", data=["arith:steps=1"], limit=5, n=1,
                              out=str(tmp_path / "e"), grade_workers=1,
                              backend_kwargs={"default": "The answer is 5."}), progress=False)
    assert doc["metrics"]["arith:steps=1"]["n_problems"] == 5


def test_limit_draws_only_the_prefix(monkeypatch):
    from mathdistill.data import arith
    from mathdistill.data.sources import load_problems

    full = load_problems("arith:steps=1", "test")
    assert [p.id for p in load_problems("arith:steps=1", "test", limit=7)] == [p.id for p in full[:7]]
    calls = []
    real = arith.make_problem
    monkeypatch.setattr(arith, "make_problem", lambda rng, steps: calls.append(1) or real(rng, steps))
    assert len(load_problems("arith:steps=1:test=1000000", "test", limit=1)) == 1
    assert len(calls) < 50  # was: all 10^6 problems drawn before the limit applied
