"""`eval --from-samples`: each (dataset, mode, problem_id, sample_idx) counts once, and the source run's
provenance is never overwritten (issue 23, wrong results 6 and "one clear line")."""

from __future__ import annotations

import json

import pytest
from eval_helpers import Counting, cli_error, eval_cfg, write_problems

from mathdistill.errors import DataError
from mathdistill.eval.pipeline import run_eval, run_from_samples

SCRIPT = {"QA": ["\\boxed{2}", "\\boxed{2}", "\\boxed{3}"], "QB": ["\\boxed{4}", "\\boxed{5}", "\\boxed{5}"]}


@pytest.fixture()
def src(tmp_path):
    data = write_problems(tmp_path / "toy.jsonl", [{"id": "a", "question": "QA: 1+1?", "answer": "2"},
                                                   {"id": "b", "question": "QB: 2+2?", "answer": "4"}])
    out = tmp_path / "run"
    doc = run_eval(eval_cfg(data, out), Counting(SCRIPT), progress=False)
    return out, data, doc


def test_a_repeated_line_counts_once(src, tmp_path):
    out, data, doc = src
    lines = (out / "samples.jsonl").read_text().splitlines(keepends=True)
    wrong = next(x for x in lines if json.loads(x)["meta"]["mode"] == "sampled" and not json.loads(x)["correct"])
    (out / "samples.jsonl").write_text("".join(lines) + wrong + wrong)
    again = run_from_samples(out, eval_cfg(data, tmp_path / "again"))
    assert again["metrics"] == doc["metrics"]
    assert len((tmp_path / "again" / "samples.jsonl").read_text().splitlines()) == len(lines)


def test_two_different_samples_under_one_key_are_refused(src, tmp_path):
    out, data, _ = src
    lines = (out / "samples.jsonl").read_text().splitlines(keepends=True)
    row = json.loads(lines[-1])
    row["response"] = "\\boxed{99}"
    (out / "samples.jsonl").write_text("".join(lines) + json.dumps(row) + "\n")
    with pytest.raises(DataError, match=rf"samples.jsonl:{len(lines) + 1}: .*also at line {len(lines)}"):
        run_from_samples(out, eval_cfg(data, tmp_path / "again"))
    assert not (tmp_path / "again").exists()


def test_out_equal_to_the_source_is_refused_with_one_line(src, capsys):
    out, _, _ = src
    before = {f: (out / f).read_bytes() for f in ("config.yaml", "results.json", "samples.jsonl")}
    line = cli_error(capsys, "eval", "--from-samples", str(out), "--out", str(out))
    assert "another --out" in line
    assert before == {f: (out / f).read_bytes() for f in before}
    line = cli_error(capsys, "eval", "--from-samples", str(out / "samples.jsonl"), "--out", str(out / "."))
    assert "another --out" in line
