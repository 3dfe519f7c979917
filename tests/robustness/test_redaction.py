"""Credentials inside a --base-url (`user:pw@host`) are never written: not to config.yaml, run.json or
results.json, not to a log line or an error line (issue 23, "one clear line")."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from eval_helpers import Counting, eval_cfg, write_problems

from mathdistill.io.redact import redact, redact_text

URL = "https://alice:s3cr3t-pw@llm.example.com:8443/v1"


def _written_text(folder: Path) -> str:
    return "\n".join(p.read_text(errors="replace") for p in folder.rglob("*") if p.is_file()
                     and p.suffix in (".json", ".yaml", ".jsonl"))


def test_redact_masks_userinfo_and_secret_query_params():
    assert redact_text(URL) == "https://***@llm.example.com:8443/v1"
    assert redact_text("http://tok@h/v1?api_key=abc&x=1") == "http://***@h/v1?api_key=***&x=1"
    assert redact_text("http://127.0.0.1:8000/v1 and a@b.com") == "http://127.0.0.1:8000/v1 and a@b.com"
    assert redact({"a": [URL, 3], "b": (URL,)}) == {"a": ["https://***@llm.example.com:8443/v1", 3],
                                                  "b": ("https://***@llm.example.com:8443/v1",)}


def test_eval_writes_no_credentials(tmp_path, monkeypatch):
    monkeypatch.setattr("sys.argv", ["mathdistill", "eval", "--set", f'backend_kwargs={{"base_url": "{URL}"}}'])
    data = write_problems(tmp_path / "toy.jsonl", [{"id": "a", "question": "QA: 1+1?", "answer": "2"}])
    out = tmp_path / "eval"
    run_eval_cfg = eval_cfg(data, out, backend_kwargs={"base_url": URL})
    from mathdistill.eval.pipeline import run_eval

    run_eval(run_eval_cfg, Counting({"QA": ["\\boxed{2}"]}), progress=False)
    text = _written_text(out)
    assert "s3cr3t" not in text and "alice" not in text and "***@llm.example.com" in text


def test_sample_and_run_write_no_credentials(tmp_path, monkeypatch):
    monkeypatch.setattr("sys.argv", ["mathdistill", "run", "--base-url", URL])
    from mathdistill.pipeline import load_run_config, run_pipeline

    script = {"Q": ["The answer is 2."]}
    d = {"out": str(tmp_path / "run"), "teacher": "t", "student": "s", "backend": "fake", "progress": False,
         "data": {"train": "arith:steps=1", "train_limit": 2, "test": ["arith:steps=1"], "test_limit": 2},
         "sample": {"k": 1, "grading_workers": 1, "openai": {"base_url": URL}, "backend_options": {"script": script}},
         "eval": {"n": 1, "grade_workers": 1, "n_boot": 10, "backend_kwargs": {"base_url": URL}},
         "curate": {"plots": False}, "train": [{"method": "sft"}], "eval_base": True, "report": False}
    res = run_pipeline(load_run_config(None, None, base=d), stages=["sample", "eval_base"])
    text = _written_text(tmp_path / "run")
    assert "s3cr3t" not in text and "alice" not in text and "***@llm.example.com" in text
    assert "s3cr3t" not in repr(res["plan"])


def test_log_and_error_lines_are_redacted(capsys):
    from mathdistill.cli import logs

    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    try:
        logs.setup()
        logging.getLogger("mathdistill.test").warning("calling %s", URL)
        logging.getLogger("httpx").warning("HTTP Request: POST %s/chat/completions", URL)
    finally:
        root.handlers[:] = saved[0]
        root.setLevel(saved[1])
    err = capsys.readouterr().err
    assert "s3cr3t" not in err and err.count("***@llm.example.com") == 2


def test_backend_error_and_describe_are_redacted(monkeypatch):
    pytest.importorskip("openai")
    from mathdistill.errors import BackendError
    from mathdistill.sampling.backends.openai_backend import OpenAIBackend
    from mathdistill.sampling.base import GenerationRequest, SamplingParams

    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    b = OpenAIBackend(model="m", base_url="http://alice:s3cr3t-pw@127.0.0.1:9/v1", max_retries=0, timeout_s=5)
    assert "s3cr3t" not in repr(b.describe())
    with pytest.raises(BackendError) as e:
        b.generate([GenerationRequest("hi", SamplingParams(n=1, max_tokens=4), [{"role": "user", "content": "hi"}])])
    assert "s3cr3t" not in str(e.value) and "***@127.0.0.1" in str(e.value)
