"""One training per output folder: a second `train` into a folder that another process is training
into fails at once, naming the holder; other DDP ranks of the same run are not refused."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time

import pytest

from mathdistill.config import build
from mathdistill.io.lock import FolderLocked
from mathdistill.training import api
from mathdistill.training.config import TrainConfig

HOLDER = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from mathdistill.config import build
    from mathdistill.training import api
    from mathdistill.training.config import TrainConfig

    out, ready = sys.argv[1], Path(sys.argv[2])

    class Slow:  # a method whose training runs until the test is done with it
        guarded = False

        def train(self, cfg, progress):
            ready.write_text("1")
            time.sleep(120)

    api.method_spec = lambda name: Slow()
    api.run(build(TrainConfig, {"output_dir": out}), progress=False)
""")


class Quick:
    guarded = False

    def __init__(self):
        self.calls = 0

    def train(self, cfg, progress):
        self.calls += 1
        return {"status": "complete"}


@pytest.fixture
def holder(tmp_path):
    out, ready = tmp_path / "out", tmp_path / "ready"
    env = {**os.environ, "RANK": "0"}
    proc = subprocess.Popen([sys.executable, "-c", HOLDER, str(out), str(ready)], env=env)
    try:
        deadline = time.monotonic() + 120
        while not ready.exists():
            assert proc.poll() is None, "the holder process died before training"
            assert time.monotonic() < deadline, "the holder process did not start training"
            time.sleep(0.1)
        yield out, proc
    finally:
        proc.kill()
        proc.wait()


def test_second_training_into_a_folder_fails_fast_naming_the_holder(holder, monkeypatch):
    out, proc = holder
    quick = Quick()
    monkeypatch.setattr(api, "method_spec", lambda name: quick)
    monkeypatch.setenv("RANK", "0")
    t0 = time.monotonic()
    with pytest.raises(FolderLocked) as e:
        api.run(build(TrainConfig, {"output_dir": str(out)}), progress=False)
    assert time.monotonic() - t0 < 5  # refused at once, not after waiting
    msg = str(e.value)
    assert f"pid {proc.pid}" in msg and "train:" in msg and str(out) in msg
    assert quick.calls == 0
    # Another rank of a DDP run writes the same folder by design: not refused.
    monkeypatch.setenv("RANK", "1")
    assert api.run(build(TrainConfig, {"output_dir": str(out)}), progress=False) == {"status": "complete"}
    assert quick.calls == 1


def test_the_lock_is_released_when_the_holder_dies(holder, monkeypatch):
    out, proc = holder
    proc.kill()  # kill -9: the kernel drops the flock
    proc.wait()
    quick = Quick()
    monkeypatch.setattr(api, "method_spec", lambda name: quick)
    monkeypatch.setenv("RANK", "0")
    api.run(build(TrainConfig, {"output_dir": str(out)}), progress=False)
    assert quick.calls == 1
    assert not (out / ".mathdistill.lock").exists()
