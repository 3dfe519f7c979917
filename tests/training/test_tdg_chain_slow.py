"""Slow: the TDG chain on the embedded model through the CLI, as a user runs it:
sft -> neg -> nat -> nce -> ranker, then eval of NAT and NCE, and ASC voting with the trained ranker."""

from __future__ import annotations

import json

import pytest

from .test_training_mle import toy_rows, write_rows
from .test_training_slow import md

pytestmark = pytest.mark.slow


def test_tdg_chain_on_smollm2(smollm2_path, tmp_path):
    rows = toy_rows(4)
    pos = write_rows(tmp_path / "sft.jsonl", [r for r in rows if r["label"]])
    neg = write_rows(tmp_path / "neg_sft.jsonl", [{k: v for k, v in r.items() if k != "label"}
                                                   for r in rows if not r["label"]])
    groups = write_rows(tmp_path / "ranker.jsonl", [
        {"problem_id": f"p{i}", "question": f"What is {i} plus one?",
         "positives": [f"{i} + 1 = {i + 1}. The answer is {i + 1}."],
         "negatives": [f"{i} + 1 = {i + 5}. The answer is {i + 5}.", f"The answer is {i + 2}."]} for i in range(12)])
    problems = write_rows(tmp_path / "problems.jsonl", [
        {"id": f"q{i}", "question": f"What is {i} plus one?", "answer": str(i + 1)} for i in range(2)])
    steps = ["--max-steps", "2", "--per-device-train-batch-size", "2", "--no-progress"]
    run = {m: tmp_path / m for m in ("sft", "neg", "nat", "nce", "ranker")}
    md("train", "--method", "sft", "--data", pos, "--model", "smollm2", "--lora-r", "8", "--out", str(run["sft"]),
       *steps)
    md("train", "--method", "neg", "--data", neg, "--model", "smollm2", "--out", str(run["neg"]), *steps)
    md("train", "--method", "nat", "--data", pos, "--model", "smollm2", "--negative-adapter", str(run["neg"]),
       "--out", str(run["nat"]), *steps)
    md("train", "--method", "nce", "--data", pos, "--model", "smollm2", "--teacher", str(run["nat"]),
       "--out", str(run["nce"]), *steps)
    md("train", "--method", "ranker", "--data", groups, "--out", str(run["ranker"]), "--num-train-epochs", "1",
       "--per-device-train-batch-size", "4", "--no-progress")
    nat = json.loads((run["nat"] / "mathdistill_train.json").read_text())
    assert nat["parameters"]["trainable"] > 0 and nat["nat"]["target_modules"] == ["q_proj", "v_proj"]
    for m in ("nat", "nce"):
        md("eval", "--model", str(run[m]), "--backend", "hf", "--data", problems, "--n", "2", "--temperature", "0.7",
           "--max-new-tokens", "24", "--out", str(tmp_path / f"eval_{m}"), "--no-progress")
        res = json.loads((tmp_path / f"eval_{m}" / "results.json").read_text())
        assert res["metrics"]["problems"]["n_problems"] == 2
    md("eval", "--from-samples", str(tmp_path / "eval_nce"), "--out", str(tmp_path / "eval_asc"), "--voting", "asc",
       "--ranker", str(run["ranker"]))
    res = json.loads((tmp_path / "eval_asc" / "results.json").read_text())
    m = res["metrics"]["problems"]
    assert m["ranker_coverage"] == 1.0
    assert any(k.startswith("asc") for k in m) and any(k.startswith("maj@") for k in m)
