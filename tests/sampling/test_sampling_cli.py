"""`mathdistill sample` command line: flags, --config/--set precedence, shipped configs, errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mathdistill.cli.main import app
from mathdistill.config import load_config
from mathdistill.io.jsonl import read_jsonl
from mathdistill.sampling.config import SampleConfig

REPO = Path(__file__).resolve().parents[2]


def invoke(*args: str):
    return CliRunner().invoke(app, ["sample", *args])


def test_issue_command_shape_with_fake_backend(tmp_path, data_dir):
    out = tmp_path / "run"
    res = invoke("--data", "gsm8k", "--split", "test", "--limit", "6", "--model", "smollm2", "--backend", "fake",
                 "--strategy", "vanilla", "--k", "2", "--max-new-tokens", "64", "--out", str(out), "--no-progress",
                 "--grading-workers", "1")
    assert res.exit_code == 0, res.output
    rows = [r for _, r in read_jsonl(out / "samples.jsonl")]
    assert len(rows) == 12
    assert set(rows[0]) >= {"problem_id", "sample_idx", "prompt", "response", "pred", "correct", "rule",
                            "finish_reason", "num_tokens", "teacher", "temperature", "top_p", "seed"}
    cfg = json.loads((out / "run.json").read_text())["config"]
    assert cfg["k"] == 2 and cfg["max_new_tokens"] == 64 and cfg["backend"] == "fake"
    assert (out / "config.yaml").exists() and len(list(read_jsonl(out / "stats.jsonl"))) == 6


def test_flags_override_set_override_yaml(tmp_path):
    y = tmp_path / "c.yaml"
    y.write_text("strategy: uniform\nk_correct: 3\ntemperature: 0.5\nvllm:\n  tensor_parallel_size: 2\n")
    cfg = load_config(SampleConfig, y, ["k_correct=5", "vllm.max_model_len=4096"], {"temperature": 0.9})
    assert (cfg.strategy, cfg.k_correct, cfg.temperature) == ("uniform", 5, 0.9)
    assert cfg.backend_kwargs()["tensor_parallel_size"] == 2 and cfg.vllm.max_model_len == 4096


@pytest.mark.parametrize("path", sorted((REPO / "configs").glob("sample_*.yaml")), ids=lambda p: p.name)
def test_shipped_configs_load(path):
    cfg = load_config(SampleConfig, path)
    assert cfg.strategy in ("vanilla", "uniform", "prop2diff")


def test_errors_are_one_line(tmp_path, capsys):
    from mathdistill.cli.main import main

    for args, msg in [(["--k", "0", "--out", str(tmp_path)], "k must be >= 1"),
                      (["--backend", "nope", "--data", "gsm8k", "--split", "test", "--limit", "1",
                        "--out", str(tmp_path)], "unknown backend 'nope'"),
                      (["--set", "bogus=1"], "unknown key 'bogus'"),
                      (["--shard-index", "2", "--num-shards", "2"], "shard_index must be in"),
                      (["--data", "gsm8k", "--split", "test", "--limit", "1"], "output directory is required")]:
        with pytest.raises(SystemExit) as e:
            main(["sample", *args])
        err = capsys.readouterr().err
        assert e.value.code == 1 and msg in err and "Traceback" not in err, (args, err)


def test_resumed_run_keeps_the_regrade_history(tmp_path, data_dir):
    out = tmp_path / "run"

    def sample(k: int):
        return invoke("--data", "gsm8k", "--split", "test", "--limit", "3", "--model", "smollm2", "--backend", "fake",
                      "--strategy", "vanilla", "--k", str(k), "--out", str(out), "--no-progress",
                      "--grading-workers", "1")

    assert sample(2).exit_code == 0
    r = CliRunner().invoke(app, ["grade", "--regrade", str(out), "--workers", "1"])
    assert r.exit_code == 0, r.output
    assert len(json.loads((out / "run.json").read_text())["regrades"]) == 1
    assert sample(3).exit_code == 0  # resumes with work left, so run.json is rewritten
    assert len(list(read_jsonl(out / "samples.jsonl"))) == 9
    assert len(json.loads((out / "run.json").read_text())["regrades"]) == 1
