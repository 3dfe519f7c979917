"""The methods table: every method's row, and the config validation and wiring that read it (no torch)."""

from __future__ import annotations

import pytest

from mathdistill.config import build
from mathdistill.curation.config import FORMATS
from mathdistill.errors import ConfigError
from mathdistill.training.config import METHODS, TrainConfig
from mathdistill.training.methods import TABLE, method_spec


def test_names_and_curated_formats():
    assert METHODS == tuple(TABLE) == ("sft", "neg", "mix", "nt", "ul", "dpo", "kto", "nat", "nce", "ranker")
    for m in TABLE.values():
        assert m.curated and all(f in FORMATS for c in m.curated for f in (*c.data, *c.negatives)), m.name
    with pytest.raises(ConfigError, match="unknown method 'rlhf'"):
        method_spec("rlhf")


def test_rows_and_token_weights():
    assert method_spec("sft").keeps(False) and not method_spec("sft").keeps(True)
    assert method_spec("neg").keeps(True) and not method_spec("neg").keeps(False)
    assert method_spec("neg").unlabeled_negative and not method_spec("mix").unlabeled_negative
    assert all(method_spec(m).keeps(True) and method_spec(m).keeps(False) for m in ("mix", "nt", "ul"))
    assert [method_spec(m).negative_weights(0.05) for m in ("mix", "nt", "ul")] == [(1.0, 0.0), (-0.05, 0.0),
                                                                                     (0.0, 0.05)]


def test_defaults_and_required_options_come_from_the_table():
    assert build(TrainConfig, {"method": "neg"}).lora.r == 8
    assert build(TrainConfig, {"method": "neg", "lora": {"r": 4}}).lora.r == 4
    assert build(TrainConfig, {"method": "sft"}).lora.r == 0
    with pytest.raises(ConfigError, match="--method nat needs --negative-adapter DIR"):
        build(TrainConfig, {"method": "nat"})
    with pytest.raises(ConfigError, match="--method nce needs --teacher DIR"):
        build(TrainConfig, {"method": "nce"})
    assert build(TrainConfig, {"method": "nce", "nce": {"teacher": "t"}}).lora.r == 8


def test_what_the_run_plan_reads():
    assert [m for m in METHODS if not TABLE[m].evaluated] == ["neg", "ranker"]
    assert [m for m in METHODS if TABLE[m].eval_backend] == ["nat"]
    assert [m for m in METHODS if not TABLE[m].student] == [m for m in METHODS if not TABLE[m].guarded] == ["ranker"]
