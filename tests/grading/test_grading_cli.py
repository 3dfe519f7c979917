"""`mathdistill grade`: adds pred/correct/rule/error, prints accuracy, names file:line:field on bad input."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from mathdistill.cli.main import app


def _write(path, rows):
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")


def test_grade_cli(tmp_path):
    src, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    _write(src, [
        {"id": 1, "resp": "The answer is $\\boxed{\\frac12}$.", "gold": "0.5"},
        {"id": 2, "resp": "so it is \\boxed{3}", "gold": "4"},
        {"id": 3, "resp": "I give up", "gold": "\\frac{1}{2}"},
        {"id": 4, "resp": "\\boxed{7}", "gold": 7, "finish_reason": "length"},
    ])
    res = CliRunner().invoke(app, ["grade", str(src), "-o", str(out), "--response-field", "resp",
                                   "--answer-field", "gold", "--workers", "2", "--timeout", "5"])
    assert res.exit_code == 0, res.output
    rows = [json.loads(x) for x in out.read_text().splitlines()]
    assert [r["id"] for r in rows] == [1, 2, 3, 4]
    assert [r["correct"] for r in rows] == [True, False, False, False]
    assert rows[0]["pred"] == "\\frac12" and rows[0]["rule"] == "boxed" and rows[0]["error"] is None
    assert rows[2]["error"] == "extract_failed" and rows[3]["error"] == "truncated"
    assert "accuracy 0.2500 (1/4)" in res.output and "extraction failures 0.2500 (1)" in res.output
    meta = json.loads((tmp_path / "out.jsonl.meta.json").read_text())
    assert meta["grader"].startswith("mathdistill-grader/") and meta["summary"]["n"] == 4


def test_grade_cli_missing_field(tmp_path):
    src = tmp_path / "bad.jsonl"
    _write(src, [{"response": "\\boxed{1}", "answer": "1"}, {"response": "\\boxed{2}"}])
    res = subprocess.run([sys.executable, "-m", "mathdistill", "grade", str(src), "-o", str(tmp_path / "o.jsonl"),
                          "--workers", "1"], check=False, capture_output=True, text=True)
    assert res.returncode == 1
    assert f"error: {src}:2: field 'answer': missing" in res.stderr
    assert "Traceback" not in res.stderr
    assert not (tmp_path / "o.jsonl").exists()


def test_grade_cli_records_grader_and_percent(tmp_path):
    src, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    _write(src, [{"response": "\\boxed{0.5}", "answer": "50\\%"}, {"response": "\\boxed{50}", "answer": "50\\%"}])
    res = CliRunner().invoke(app, ["grade", str(src), "-o", str(out), "--workers", "1", "--percent", "fraction"])
    assert res.exit_code == 0, res.output
    rows = [json.loads(x) for x in out.read_text().splitlines()]
    assert [r["correct"] for r in rows] == [True, False]
    assert {r["grader"] for r in rows} == {"mathdistill-grader/2.0+percent=fraction"}
    meta = json.loads((tmp_path / "out.jsonl.meta.json").read_text())
    assert meta["percent"] == "fraction" and meta["grader"].endswith("+percent=fraction")
    bad = CliRunner().invoke(app, ["grade", str(src), "-o", str(out), "--percent", "ratio"])
    assert bad.exit_code == 1
    assert CliRunner().invoke(app, ["grade", str(src)]).exit_code == 1  # -o is needed without --regrade


def test_grade_cli_answer_mode(tmp_path):
    """`--mode answer`: the response field holds extracted answers; the mode is recorded."""
    src, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    _write(src, [{"response": "\\frac{1}{2}", "answer": "0.5"}, {"response": "Natalia sold 72 clips.", "answer": "72"}])
    for workers, mode, want in (("1", "answer", [True, False]), ("2", "answer", [True, False]),
                                ("1", "response", [False, True]), ("1", "auto", [True, True])):
        res = CliRunner().invoke(app, ["grade", str(src), "-o", str(out), "--workers", workers, "--mode", mode])
        assert res.exit_code == 0, res.output
        rows = [json.loads(x) for x in out.read_text().splitlines()]
        assert [r["correct"] for r in rows] == want, (workers, mode)
        assert rows[0]["grader"].endswith("" if mode == "auto" else f"+mode={mode}")
    assert json.loads((tmp_path / "out.jsonl.meta.json").read_text())["mode"] == "auto"
    assert CliRunner().invoke(app, ["grade", str(src), "-o", str(out), "--mode", "bare"]).exit_code == 1


def test_grade_file_checks_every_line_before_writing(tmp_path):
    """The library refuses a bad input itself: one error naming file, line and field, nothing written."""
    from mathdistill.errors import DataError
    from mathdistill.grading.files import grade_file

    out = tmp_path / "sub" / "o.jsonl"
    src = tmp_path / "bad.jsonl"
    _write(src, [{"response": "\\boxed{1}", "answer": "1"}] * 3 + [{"response": ["\\boxed{2}"], "answer": "2"}])
    with pytest.raises(DataError, match=r"bad.jsonl:4: field 'response': expected a string, got list"):
        grade_file(str(src), str(out), workers=1, progress=False)
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    with pytest.raises(DataError, match=r"empty.jsonl: no lines to grade"):
        grade_file(str(empty), str(out), workers=1, progress=False)
    assert not (tmp_path / "sub").exists()


def test_grading_entry_points_refuse_a_timeout_not_above_zero(tmp_path):
    from mathdistill.errors import ConfigError
    from mathdistill.grading.files import grade_file
    from mathdistill.grading.pool import GradingPool, grade_many
    from mathdistill.grading.regrade import regrade_run

    src = tmp_path / "in.jsonl"
    _write(src, [{"response": "\\boxed{1}", "answer": "1"}])
    for t in (0, -1.0, float("nan")):
        with pytest.raises(ConfigError, match="timeout_s must be > 0"):
            GradingPool(1, t)
        with pytest.raises(ConfigError, match="timeout_s must be > 0"):
            grade_many([("\\boxed{1}", "1")], timeout_s=t)
        with pytest.raises(ConfigError, match="timeout_s must be > 0"):
            grade_file(str(src), str(tmp_path / "o.jsonl"), workers=1, timeout_s=t, progress=False)
        with pytest.raises(ConfigError, match="timeout_s must be > 0"):
            regrade_run(tmp_path, timeout_s=t)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.jsonl"]
