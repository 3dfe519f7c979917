"""`mathdistill data list` and `mathdistill eval --dry-run` (a suite expanded, n and sampling settings)."""

import json
import subprocess
import sys

from typer.testing import CliRunner

from mathdistill.cli.main import app
from mathdistill.data.sources import SOURCES

runner = CliRunner()


def test_data_list_shows_every_entry():
    res = runner.invoke(app, ["data", "list", "--json"])
    assert res.exit_code == 0, res.output
    rows = [json.loads(x) for x in res.output.splitlines()]
    assert [r["name"] for r in rows] == list(SOURCES)
    by = {r["name"]: r for r in rows}
    assert by["gpqa_diamond"]["answer_type"] == "choice" and "gated" in by["gpqa_diamond"]["hub"]
    assert by["aime25"]["n"] == 64 and by["aime25"]["suites"] == ["reasoning"]
    res = runner.invoke(app, ["data", "list"], env={"COLUMNS": "250"})
    assert res.exit_code == 0 and all(name in res.output for name in SOURCES)


def test_eval_dry_run_expands_the_suite(tmp_path):
    res = runner.invoke(app, ["eval", "--suite", "reasoning", "--model", "smollm2", "--limit", "2", "--dry-run",
                              "--data-dir", str(tmp_path), "--out", str(tmp_path / "run")], env={"COLUMNS": "250"})
    assert res.exit_code == 0, res.output
    assert "aime25" in res.output and "gpqa_diamond" in res.output and "64" in res.output
    assert "temperature=0.7" in res.output and "max_tokens=1024" in res.output
    assert not (tmp_path / "run").exists()  # nothing ran


def test_eval_bad_sample_count_is_one_line():
    r = subprocess.run([sys.executable, "-m", "mathdistill", "eval", "--data", "aime25:0", "--dry-run"],
                       capture_output=True, text=True, check=False)
    assert r.returncode == 1
    assert r.stderr.strip() == "error: data: data source 'aime25:0': samples per problem must be >= 1, got 0"
    for spec, msg in [("aime25:-1", "must be >= 1, got -1"), ("aime25:abc", "expected aime25:N"),
                      ("aime2025", "did you mean aime25")]:
        res = runner.invoke(app, ["eval", "--data", spec, "--dry-run"])
        assert res.exit_code != 0 and msg in str(res.exception), res.exception
