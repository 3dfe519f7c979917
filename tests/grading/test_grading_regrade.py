"""`regrade_run` / `mathdistill grade --regrade RUN_DIR`: regrade a sampling run without resampling."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from mathdistill.cli.main import app
from mathdistill.io.jsonl import read_records
from mathdistill.errors import MathdistillError
from mathdistill.grading import GRADER_VERSION, regrade_run
from mathdistill.records import Sample


def _sample(pid, idx, response, answer, correct, **kw):
    return {"problem_id": pid, "sample_idx": idx, "prompt": "Q", "response": response, "finish_reason": "stop",
            "answer": answer, "pred": "stale", "correct": correct, "rule": "boxed", "error": None, **kw}


def _run(tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    rows = [
        _sample("p1", 0, "So $x = 0.\\overline{3}$, i.e. \\boxed{0.\\overline{3}}", "\\frac13", False),  # now right
        _sample("p1", 1, "\\boxed{\\frac13}", "\\frac13", True),
        _sample("p2", 0, "First, 12 x 4 = 48. Then we need to", "48", True, extra_field="kept"),  # now wrong
        _sample("p2", 1, "\\boxed{48}", None, True, meta={"note": "x"}),  # gold from problems.jsonl
        _sample("p3", 0, "\\boxed{0.5}", "50\\%", True),
    ]
    (run / "samples.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    (run / "problems.jsonl").write_text("".join(json.dumps({"id": p, "question": "Q", "answer": a}) + "\n"
                                                for p, a in (("p1", "\\frac13"), ("p2", "48"), ("p3", "50\\%"))))
    (run / "stats.jsonl").write_text("".join(json.dumps({"problem_id": p, "trials": 2, "correct": c, "pass_rate": c / 2,
                                                         "target": 4, "stop_reason": "target"}) + "\n"
                                             for p, c in (("p1", 1), ("p2", 2), ("p3", 1))))
    (run / "run.json").write_text(json.dumps({"grader": "mathdistill-grader/1.2", "resume_key": {"seed": 0}}))
    return run


def test_regrade_in_place(tmp_path):
    run = _run(tmp_path)
    r = regrade_run(run, workers=1)
    assert (r["samples"], r["correct"], r["flipped_to_correct"], r["flipped_to_wrong"]) == (5, 4, 1, 1)
    rows = [json.loads(x) for x in (run / "samples.jsonl").read_text().splitlines()]
    assert [x["correct"] for x in rows] == [True, True, False, True, True]
    assert rows[2]["extra_field"] == "kept" and rows[2]["error"] == "extract_failed"
    assert rows[3]["meta"] == {"note": "x", "grader": GRADER_VERSION} and rows[3]["answer"] is None
    assert all(x["meta"]["grader"] == GRADER_VERSION for x in rows)
    assert len(list(read_records(run / "samples.jsonl", Sample))) == 5  # still valid records
    stats = {s["problem_id"]: s for s in map(json.loads, (run / "stats.jsonl").read_text().splitlines())}
    assert stats["p1"]["correct"] == 2 and stats["p2"]["pass_rate"] == 0.5 and stats["p3"]["target"] == 4
    meta = json.loads((run / "run.json").read_text())
    assert meta["grader"] == GRADER_VERSION and meta["resume_key"] == {"seed": 0}
    assert meta["regrades"][-1]["from"] == "mathdistill-grader/1.2" and meta["regrades"][-1]["flipped_to_wrong"] == 1
    assert not list(run.glob("*.tmp"))


def test_regrade_percent_and_separate_output(tmp_path):
    run = _run(tmp_path)
    before = (run / "samples.jsonl").read_text()
    out = tmp_path / "regraded.jsonl"
    r = regrade_run(run, percent="number", workers=1, out=out)
    assert r["grader"] == f"{GRADER_VERSION}+percent=number"
    assert [json.loads(x)["correct"] for x in out.read_text().splitlines()][-1] is False  # 0.5 vs 50% as 50
    assert (run / "samples.jsonl").read_text() == before  # the run is untouched
    assert "regrades" not in json.loads((run / "run.json").read_text())


def test_regrade_refuses_when_samples_grow_meanwhile(tmp_path, monkeypatch):
    run = _run(tmp_path)
    from mathdistill.grading import regrade

    real = regrade.grade_items

    def appending(*a, **kw):  # a sampler appends a line while we grade
        with open(run / "samples.jsonl", "a") as f:
            f.write(json.dumps(_sample("p9", 0, "\\boxed{1}", "1", True)) + "\n")
        return real(*a, **kw)

    monkeypatch.setattr(regrade, "grade_items", appending)
    with pytest.raises(MathdistillError, match="changed while regrading"):
        regrade_run(run, workers=1)
    lines = (run / "samples.jsonl").read_text().splitlines()
    assert len(lines) == 6 and json.loads(lines[0])["pred"] == "stale"  # nothing replaced, nothing lost
    assert not list(run.glob("*.tmp"))


def test_regrade_cli(tmp_path):
    run = _run(tmp_path)
    res = CliRunner().invoke(app, ["grade", "--regrade", str(run), "--workers", "1"])
    assert res.exit_code == 0, res.output
    assert "regraded 5 samples" in res.output and "flipped to correct 1, to wrong 1" in res.output
    assert GRADER_VERSION in res.output
    res = CliRunner().invoke(app, ["grade", "--regrade", str(tmp_path / "nope")])
    assert res.exit_code == 1
