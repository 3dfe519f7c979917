"""`rg:<task>` sources run reasoning-gym for real (it needs no network)."""

import pytest

pytest.importorskip("reasoning_gym")

from mathdistill.data.reasoning_gym import agreement, parse, score
from mathdistill.data.registry import DataSpec, parse_data_spec
from mathdistill.data.sources import SOURCES, load_problems
from mathdistill.errors import MathdistillError
from mathdistill.grading import grade

SRC = "rg:chain_sum:min_terms=2:max_terms=3:size=30:train=20"


def test_load_splits_disjoint_and_deterministic():
    test, train = load_problems(SRC, "test"), load_problems(SRC, "train")
    assert len(test) == 30 and len(train) == 20
    assert len({p.id for p in test + train}) == 50
    assert not {p.question for p in test} & {p.question for p in train}
    assert [p.to_dict() for p in load_problems(SRC, "test", limit=5)] == [p.to_dict() for p in test[:5]]
    p = test[0]
    assert p.id == "rg/chain_sum/test/0" and p.subject == "chain_sum" and p.answer.lstrip("-").isdigit()
    assert p.meta["rg_metadata"]["num_terms"] in (2, 3)
    other = load_problems("rg:chain_sum:min_terms=2:max_terms=3:size=30:seed=1", "test")
    assert [q.question for q in other] != [q.question for q in test]


def test_difficulty_options_reach_the_task():
    easy = load_problems("rg:chain_sum:min_terms=2:max_terms=2:min_digits=1:max_digits=1:size=10", "test")
    assert all(p.meta["rg_metadata"]["num_terms"] == 2 and abs(int(p.answer)) < 20 for p in easy)


def test_registry_and_specs():
    assert "rg:chain_sum" in SOURCES and SOURCES["rg:chain_sum:size=5"].exemplar_source == ("rg:chain_sum:size=5",
                                                                                            "train")
    assert parse_data_spec("rg:chain_sum:max_terms=3:8") == DataSpec("rg:chain_sum:max_terms=3", 8)
    assert dict(parse(SRC).config) == {"max_terms": 3, "min_terms": 2}


@pytest.mark.parametrize("source,msg", [
    ("rg:chain_sun", "unknown reasoning-gym task 'chain_sun' (did you mean chain_sum"),
    ("rg:chain_sum:colour=3", "unknown option 'colour' for task 'chain_sum' (known: min_terms"),
    ("rg:chain_sum:min_terms=0", "min_terms must be positive"),
    ("rg:chain_sum:size=x", "size must be a whole number"),
    ("rg:chain_sum:max_terms", "must look like option=value"),
])
def test_bad_options_are_one_line(source, msg):
    with pytest.raises(MathdistillError) as e:
        load_problems(source, "test")
    assert msg in str(e.value) and "\n" not in str(e.value)


def test_own_verifier_and_agreement_with_our_grader():
    probs = load_problems(SRC, "test", limit=10)
    assert all(score(SRC, p.id, p.answer) == 1.0 for p in probs)
    assert score(SRC, probs[0].id, str(int(probs[0].answer) + 1)) < 1.0
    rows = []
    for p in probs:
        for resp in (f"So the total is \\boxed{{{p.answer}}}.", f"The answer is {int(p.answer) + 1}.", "no idea"):
            g = grade(resp, p.answer)
            rows.append((SRC, p.id, g.pred, g.correct))
    a = agreement(rows)
    assert a["n"] == 30 and a["agree"] == 30 and a["rate"] == 1.0
