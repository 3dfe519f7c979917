"""OpenAI backend options that would hang (`--concurrency 0`) or fail deep inside asyncio/openai
(`-1`, `max_retries=-1`) are one ConfigError line, before any folder is made (issue 23, hangs)."""

from __future__ import annotations

import pytest
from eval_helpers import cli_error, eval_cfg, write_problems

from mathdistill.errors import ConfigError
from mathdistill.eval.pipeline import run_eval
from mathdistill.sampling.backends.openai_backend import OpenAIBackend


@pytest.fixture(autouse=True)
def _no_key(monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)


@pytest.mark.parametrize("kw, field", [({"concurrency": 0}, "concurrency"), ({"concurrency": -1}, "concurrency"),
                                       ({"max_retries": -1}, "max_retries"), ({"timeout_s": 0}, "timeout_s"),
                                       ({"concurrency": 2.5}, "concurrency"), ({"api": "foo"}, "api")])
def test_constructor_refuses(kw, field):
    with pytest.raises(ConfigError, match=f"^{field} must be"):
        OpenAIBackend(model="m", base_url="http://127.0.0.1:9/v1", **kw)


@pytest.mark.parametrize("args", [["--concurrency", "0"], ["--concurrency", "-1"],
                                  ["--set", "openai.max_retries=-1"],
                                  ["--set", 'backend_options={"concurrency": 0}']])
def test_sample_cli_one_line_nothing_written(tmp_path, capsys, args):
    data = write_problems(tmp_path / "toy.jsonl", [{"id": "a", "question": "Q?", "answer": "1"}])
    out = tmp_path / "s"
    line = cli_error(capsys, "sample", "--data", data, "--backend", "openai", "--model", "gpt-x", "--out", str(out),
                     "--no-progress", *args)
    assert line.startswith("error: ") and ("concurrency" in line or "max_retries" in line)
    assert not out.exists()


def test_eval_refuses_before_the_folder_is_made(tmp_path):
    data = write_problems(tmp_path / "toy.jsonl", [{"id": "a", "question": "Q?", "answer": "1"}])
    cfg = eval_cfg(data, tmp_path / "e", backend="openai", backend_kwargs={"concurrency": 0})
    with pytest.raises(ConfigError, match="openai backend: concurrency must be an integer >= 1"):
        run_eval(cfg, progress=False)
    assert not (tmp_path / "e").exists()


def test_run_refuses_before_the_folder_is_made(tmp_path):
    from mathdistill.pipeline import load_run_config, run_pipeline

    d = {"out": str(tmp_path / "run"), "backend": "openai", "data": {"train": "arith:steps=1", "test": ["arith"]},
         "eval": {"backend_kwargs": {"max_retries": -1}}}
    with pytest.raises(ConfigError, match="openai backend: max_retries must be an integer >= 0"):
        run_pipeline(load_run_config(None, None, base=d))
    assert not (tmp_path / "run").exists()
