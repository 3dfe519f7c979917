"""A vLLM engine's own console output (its spawned processes write straight to file descriptors 1 and 2)
goes to a log file unless --verbose: the processes started while the engine starts inherit it."""

from __future__ import annotations

import logging
import os
import subprocess
import sys

import pytest

from mathdistill.sampling.backends.vllm_backend import QUIET_ENV, _EngineOutput


@pytest.fixture(autouse=True)
def _own_tmp(tmp_path, monkeypatch):
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # the log is one file per process in the temp dir


def _spawn_noise(text: str) -> subprocess.Popen:
    code = f"import sys, time; time.sleep(0.2); print({text!r}); print({text!r}, file=sys.stderr)"
    return subprocess.Popen([sys.executable, "-c", code])  # inherits fds 1 and 2 as they are now


def test_quiet_engine_output_goes_to_a_log_file(monkeypatch, capfd):
    monkeypatch.setenv(QUIET_ENV, "1")
    with _EngineOutput() as out:
        child = _spawn_noise("engine noise")
        os.write(2, b"parent noise\n")  # as C++ code in this process writes (pytest swaps sys.stderr)
    print("after", file=sys.stderr)
    child.wait()  # it writes after the context closed: still to the log, for its whole life
    console = capfd.readouterr()
    assert "noise" not in console.out + console.err and "after" in console.err
    assert out.path is not None
    logged = out.path.read_text()
    assert logged.count("engine noise") == 2 and "parent noise" in logged


def test_without_the_switch_nothing_is_redirected(monkeypatch, capfd):
    monkeypatch.delenv(QUIET_ENV, raising=False)
    with _EngineOutput() as out:
        _spawn_noise("shown").wait()
    assert out.path is None and capfd.readouterr().out.count("shown") == 1


def test_a_failed_start_logs_the_tail_of_the_log(monkeypatch, caplog):
    monkeypatch.setenv(QUIET_ENV, "1")
    with caplog.at_level(logging.ERROR), pytest.raises(RuntimeError):
        with _EngineOutput():
            _spawn_noise("cannot allocate the KV cache").wait()
            raise RuntimeError("Engine core initialization failed")
    assert "did not start" in caplog.text and "cannot allocate the KV cache" in caplog.text


def test_an_engine_that_said_nothing_leaves_no_file(monkeypatch):
    monkeypatch.setenv(QUIET_ENV, "1")
    with _EngineOutput() as out:
        pass
    assert out.path is None
