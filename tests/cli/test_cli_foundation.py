import subprocess
import sys

from typer.testing import CliRunner

from mathdistill.cli.main import app

runner = CliRunner()


def test_data_show(data_dir):
    r = runner.invoke(app, ["data", "show", "gsm8k", "--split", "test", "--limit", "2", "--data-dir", str(data_dir)])
    assert r.exit_code == 0, r.output
    assert "gsm8k/test/0" in r.output and "gold: 18" in r.output and "gsm8k/test/2" not in r.output


def test_data_show_json_and_jsonl_path(data_dir):
    r = runner.invoke(app, ["data", "show", str(data_dir / "math500_test.jsonl"), "--limit", "1", "--json",
                            "--question-field", "problem", "--id-field", "unique_id"])
    assert r.exit_code == 0, r.output
    assert '"id": "test/precalculus/807.json"' in r.output


def test_data_stats(data_dir):
    r = runner.invoke(app, ["data", "stats", "math500", "--data-dir", str(data_dir)])
    assert r.exit_code == 0, r.output
    assert "math500/test: 500 problems" in r.output and "Precalculus" in r.output


def test_env_command():
    r = runner.invoke(app, ["env"])
    assert r.exit_code == 0, r.output
    for k in ("python", "torch", "transformers", "peft", "trl", "vllm", "ray", "device"):
        assert k in r.output


def test_errors_are_one_line_and_debug_shows_traceback(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"question": "q", "answer": "1"}\n{"question": "q"\n')
    cmd = [sys.executable, "-m", "mathdistill", "data", "show", str(bad)]
    r = subprocess.run(cmd, capture_output=True, text=True, check=False)
    assert r.returncode == 1
    assert r.stderr.strip() == f"error: {bad}:2: malformed JSON (Expecting ',' delimiter at column 17)"
    r = subprocess.run(cmd[:3] + ["--debug"] + cmd[3:], capture_output=True, text=True, check=False)
    assert r.returncode == 1 and "Traceback" in r.stderr
