"""TDG's data rules in training: NAT/NCE positives without reference solutions, NCE rows < 1,200 characters
(issue 17 TDG items 2 and the NCE length limit)."""

from __future__ import annotations

import json

import pytest

pytest.importorskip("transformers")

from mathdistill.config import build
from mathdistill.training import TrainConfig
from mathdistill.training.data import load_examples
from mathdistill.training.methods import method_spec

Q = "What is the sum of the first " + "ten " * 20 + "positive integers?"


@pytest.fixture(scope="module")
def tok(tiny_lm):
    from mathdistill.models.loading import load_tokenizer

    return load_tokenizer(tiny_lm)


def curated(tmp_path, template="raw"):
    """An sft.jsonl as curation writes it with include_reference (the reference has sample_idx -1)."""
    from mathdistill.data.prompts import make_prompter

    pr = make_prompter(template)
    from mathdistill.records import Problem

    prompt = pr.plain_text(Problem(id="p", question=Q, answer="55"))
    rows = [{"prompt": prompt, "completion": "Reference. 1 + 2 + 10 = 55, \\boxed{55}", "problem_id": "p",
             "sample_idx": -1},
            {"prompt": prompt, "completion": "Short. \\boxed{55}", "problem_id": "p", "sample_idx": 0},
            {"prompt": prompt, "completion": "Long. " + "step " * 300 + "\\boxed{55}", "problem_id": "p",
             "sample_idx": 1}]
    (tmp_path / "sft.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    (tmp_path / "stats.json").write_text(json.dumps({"prompt": pr.describe()}))
    return str(tmp_path / "sft.jsonl")


def kept(tok, **kw):
    cfg = build(TrainConfig, {"output_dir": "/tmp/unused", "max_length": 1024, **kw})
    _, stats, rows = load_examples(cfg, tok, method_spec(cfg.method))
    return [r.completion.split(".")[0] for r in rows], stats


def test_nat_and_nce_leave_reference_solutions_out(tok, tmp_path):
    data = curated(tmp_path)
    names, stats = kept(tok, method="nat", nat={"negative_adapter": "n"}, data=[data])
    assert names == ["Short", "Long"] and stats.references_dropped == 1
    names, _ = kept(tok, method="sft", data=[data])  # plain SFT keeps what curation wrote
    assert names == ["Reference", "Short", "Long"]
    names, _ = kept(tok, method="nt", preset="tdg", data=[data])  # TDG's NT helper set has the reference
    assert names == ["Reference", "Short", "Long"]


def test_nce_keeps_rows_under_1200_characters(tok, tmp_path):
    data = curated(tmp_path)
    names, stats = kept(tok, method="nce", nce={"teacher": "t"}, data=[data])
    assert len(Q + "\n" + "Long. " + "step " * 300) >= 1200 > len(Q + "\nShort. \\boxed{55}")
    assert names == ["Short"] and stats.over_max_chars == 1
    names, _ = kept(tok, method="nce", nce={"teacher": "t"}, data=[data], max_chars=0)
    assert names == ["Short", "Long"]


def test_max_chars_measures_the_question_through_the_template(tok, tmp_path, caplog):
    data = curated(tmp_path, template="boxed_cot")  # "Problem:\n{q}\n\nSolution:\n": the question is recovered
    names, _ = kept(tok, method="sft", data=[data], max_chars=len(Q) + 30)
    assert names == ["Short"]
    names, _ = kept(tok, method="sft", data=[data], max_chars=len(Q) + 30, template="boxed_cot")
    assert names == ["Short"]
    # Without a known template (or with another one) the whole prompt is measured, and that is said.
    (tmp_path / "stats.json").unlink()
    with caplog.at_level("WARNING"):
        names, _ = kept(tok, method="sft", data=[data], max_chars=len(Q) + 60)
    assert names == ["Short"] and "no template known" in caplog.text
    with pytest.raises(Exception, match="3 over max_chars"):  # the template's 22 characters count now
        kept(tok, method="sft", data=[data], max_chars=len(Q) + 30)
    names, _ = kept(tok, method="sft", data=[data], max_chars=len(Q) + 60, template="gsm8k")
    assert names == ["Short"]  # "Problem:\n" + Q + "\n\nSolution:\n" + "\n" + "Short. ..." < len(Q) + 60
