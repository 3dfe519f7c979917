"""`io.lock.output_lock`: one writer per output folder, named when refused, never stale after kill -9."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from mathdistill.errors import MathdistillError
from mathdistill.io.lock import LOCK_NAME, FolderLocked, output_lock

HOLD = "import sys, time\nfrom mathdistill.io.lock import output_lock\n" \
       "with output_lock(sys.argv[1], 'holder'):\n    print('locked', flush=True)\n    time.sleep(60)\n"


def holder(folder: Path) -> subprocess.Popen:
    p = subprocess.Popen([sys.executable, "-c", HOLD, str(folder)], stdout=subprocess.PIPE, text=True)
    assert p.stdout.readline().strip() == "locked"
    return p


def test_second_writer_is_refused_naming_the_holder_and_kill9_leaves_no_stale_lock(tmp_path):
    out = tmp_path / "out"
    p = holder(out)
    try:
        t0 = time.monotonic()
        with pytest.raises(FolderLocked, match=rf"is being written by pid {p.pid} on .*\(holder: .*\), since "), \
                output_lock(out):
            pass
        assert time.monotonic() - t0 < 1  # fails fast, never waits
    finally:
        os.kill(p.pid, signal.SIGKILL)
        p.wait()
    assert (out / LOCK_NAME).exists()  # the dead holder's record stays, but locks nothing
    with output_lock(out, "next") as got:
        assert got == out
    assert not (out / LOCK_NAME).exists()


def test_reentrant_in_one_process_and_empty_folder_removed(tmp_path):
    out = tmp_path / "new"
    with output_lock(out):
        with output_lock(out):  # a library call under a stage that holds the folder
            pass
        assert (out / LOCK_NAME).exists()
    assert not out.exists()  # created by the lock, left empty: nothing behind
    out.mkdir()
    with output_lock(out):
        (out / "data.txt").write_text("x")
    assert sorted(os.listdir(out)) == ["data.txt"]


def test_a_file_is_not_an_output_folder(tmp_path):
    f = tmp_path / "f"
    f.write_text("x")
    with pytest.raises(MathdistillError, match="is a file, expected an output folder"), output_lock(f):
        pass


FORK = "import os, sys, time\nfrom mathdistill.io.lock import output_lock\n" \
       "with output_lock(sys.argv[1], 'holder'):\n    if os.fork() == 0:\n" \
       "        print(os.getpid(), flush=True)\n        time.sleep(60)\n        os._exit(0)\n    time.sleep(60)\n"


def test_a_forked_child_outliving_a_killed_writer_does_not_keep_the_lock(tmp_path):
    """A grading worker forked while the folder was locked, orphaned by kill -9 of its parent."""
    out = tmp_path / "out"
    p = subprocess.Popen([sys.executable, "-c", FORK, str(out)], stdout=subprocess.PIPE, text=True)
    child = int(p.stdout.readline())  # printed by the child itself: its fork hooks have run
    try:
        os.kill(p.pid, signal.SIGKILL)
        p.wait()
        with output_lock(out):
            pass
    finally:
        os.kill(child, signal.SIGKILL)


def test_every_writer_refuses_a_folder_another_process_holds(tmp_path):
    """curate, import pool, grade --regrade and merge-samples all take the output folder's lock."""
    import json

    from mathdistill.curation.config import CurateConfig
    from mathdistill.curation.importers import PoolMapping, import_pool
    from mathdistill.curation.pipeline import curate
    from mathdistill.grading.regrade import regrade_run
    from mathdistill.store.combine import merge_shards

    src = tmp_path / "samples"
    src.mkdir()
    row = {"problem_id": "p", "sample_idx": 0, "prompt": "q", "response": "\\boxed{1}", "answer": "1",
           "pred": "1", "correct": True, "rule": "boxed"}
    (src / "samples.jsonl").write_text(json.dumps(row) + "\n")
    (src / "problems.jsonl").write_text(json.dumps({"id": "p", "question": "q", "answer": "1"}) + "\n")
    pool = tmp_path / "pool.jsonl"
    pool.write_text(json.dumps({"question": "q", "responses": ["\\boxed{1}"], "answer": "1"}) + "\n")
    out = tmp_path / "out"
    p = holder(out)
    try:
        writers = {
            "curate": lambda: curate(src, out, CurateConfig(plots=False)),
            "import": lambda: import_pool(pool, out, PoolMapping(), workers=1, progress=False),
            "merge": lambda: merge_shards(out, [src]),
        }
        for name, write in writers.items():
            with pytest.raises(FolderLocked, match=f"pid {p.pid}"):
                write()
            assert sorted(os.listdir(out)) == [LOCK_NAME], name  # nothing written
        q = holder(src)
        try:
            with pytest.raises(FolderLocked, match=f"pid {q.pid}"):
                regrade_run(src, workers=1)
        finally:
            os.kill(q.pid, signal.SIGKILL)
            q.wait()
    finally:
        os.kill(p.pid, signal.SIGKILL)
        p.wait()
