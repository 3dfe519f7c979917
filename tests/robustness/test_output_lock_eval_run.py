"""`eval`, `eval --from-samples` and `run` hold their output folder's lock: a second writer gets one line
naming the holder, and a run's stages (which lock their own folders) do not trip over the run's lock."""

from __future__ import annotations

import fcntl
import json
import os

import pytest
from eval_helpers import Counting, cli_error, eval_cfg, write_problems

from mathdistill.eval.pipeline import run_eval, run_from_samples
from mathdistill.io.lock import LOCK_NAME, FolderLocked


class Holder:
    """Another writer: a separate open file description holding the folder's flock."""

    def __init__(self, folder):
        folder.mkdir(parents=True, exist_ok=True)
        self.fd = os.open(folder / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o644)
        fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        os.write(self.fd, json.dumps({"pid": 4242, "host": "elsewhere", "command": "eval ...",
                                      "since": 0}).encode())

    def release(self):
        os.close(self.fd)


def test_eval_into_a_locked_folder_is_refused(tmp_path):
    data = write_problems(tmp_path / "toy.jsonl", [{"id": "a", "question": "QA: 1+1?", "answer": "2"}])
    out = tmp_path / "eval"
    h = Holder(out)
    try:
        with pytest.raises(FolderLocked, match="pid 4242 on elsewhere"):
            run_eval(eval_cfg(data, out), Counting({"QA": ["\\boxed{2}"]}), progress=False)
        assert sorted(p.name for p in out.iterdir()) == [LOCK_NAME]
    finally:
        h.release()
    run_eval(eval_cfg(data, out), Counting({"QA": ["\\boxed{2}"]}), progress=False)
    h = Holder(tmp_path / "again")
    try:
        with pytest.raises(FolderLocked):
            run_from_samples(out, eval_cfg(data, tmp_path / "again"))
    finally:
        h.release()


def test_run_into_a_locked_folder_is_refused_with_one_line(tmp_path, capsys):
    import yaml

    cfg = tmp_path / "run.yaml"
    cfg.write_text(yaml.safe_dump({"out": str(tmp_path / "run"), "backend": "fake", "teacher": "t", "student": "s",
                                   "data": {"train": "arith:steps=1", "train_limit": 2, "test": ["arith:steps=1"],
                                            "test_limit": 2}, "train": [], "eval_base": False, "report": False}))
    h = Holder(tmp_path / "run")
    try:
        line = cli_error(capsys, "run", str(cfg), "--no-progress")
    finally:
        h.release()
    assert "is being written by pid 4242" in line
    assert sorted(p.name for p in (tmp_path / "run").iterdir()) == [LOCK_NAME]
