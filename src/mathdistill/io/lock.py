"""One writer per output folder: an exclusive `flock` on OUT/.mathdistill.lock.

Two processes appending to one samples.jsonl duplicate keys, and two curations into one folder
interleave their files; the second writer is refused at once with one line naming the holder.

The kernel drops a `flock` when the last descriptor of the open file goes away, so a writer
killed with -9 never leaves a stale lock behind: its file stays, with the holder's pid, host,
command and start time out of date until the next writer takes the lock and rewrites them. A
clean release removes the file (and the folder, if the lock created it and it is still empty).

The lock is reentrant within a process (a stage that locks its folder may call a library
function that locks it again), and a forked child closes its copy of the descriptor, so a
grading worker that outlives its parent does not keep the folder locked.
"""

from __future__ import annotations

import json
import logging
import os
import shlex
import socket
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from mathdistill.errors import MathdistillError

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: no flock, folders are not locked
    fcntl = None  # type: ignore[assignment]

log = logging.getLogger(__name__)

LOCK_NAME = ".mathdistill.lock"
_MAX_COMMAND = 200

_held: dict[Path, list[int]] = {}  # folder -> [fd, depth]
_guard = threading.Lock()


class FolderLocked(MathdistillError):
    """Another process is writing the folder."""


def _forget_in_child() -> None:
    global _guard
    _guard = threading.Lock()  # another thread may have held it at the fork
    for fd, _ in _held.values():
        try:
            os.close(fd)
        except OSError:
            pass
    _held.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_in_child)


def _command(what: str | None) -> str:
    if sys.argv and sys.argv[0]:
        prog = Path(sys.argv[0])
        cmd = shlex.join([prog.parent.name if prog.name == "__main__.py" else prog.name, *sys.argv[1:]])
    else:
        cmd = "python"
    if what:
        cmd = f"{what}: {cmd}"
    return cmd if len(cmd) <= _MAX_COMMAND else cmd[:_MAX_COMMAND - 3] + "..."


def _holder(fd: int) -> str:
    try:
        os.lseek(fd, 0, os.SEEK_SET)
        info = json.loads(os.read(fd, 4096).decode("utf-8", "replace") or "{}")
    except (OSError, ValueError):
        info = {}
    if not isinstance(info, dict) or "pid" not in info:
        return "another process (it has not recorded itself yet)"
    since = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(info["since"])) if info.get("since") else "?"
    return f"pid {info['pid']} on {info.get('host', '?')} ({info.get('command', '?')}), since {since}"


def _record(fd: int, what: str | None) -> None:
    info = {"pid": os.getpid(), "host": socket.gethostname(), "command": _command(what), "since": time.time()}
    os.ftruncate(fd, 0)
    os.pwrite(fd, (json.dumps(info) + "\n").encode(), 0)


def _acquire(path: Path) -> int:
    lock = path / LOCK_NAME
    for _ in range(10):
        path.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
        except FileNotFoundError:  # the folder was removed meanwhile (an empty one, by its last holder)
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _holder(fd)
            os.close(fd)
            raise FolderLocked(f"{path} is being written by {holder}; wait for it to finish or use another "
                               "output folder") from None
        except BaseException:
            os.close(fd)
            raise
        # The holder before us unlinks the file on release: a lock won on that old file locks nothing.
        try:
            st, now = os.fstat(fd), os.stat(lock)
            if (st.st_dev, st.st_ino) == (now.st_dev, now.st_ino):
                return fd
        except FileNotFoundError:
            pass
        os.close(fd)
    raise MathdistillError(f"{path}: could not take the folder's lock ({LOCK_NAME} keeps changing)")


def _release(path: Path, fd: int, created: bool) -> None:
    # Unlinked while still locked, so whoever opened it meanwhile sees a stale file (see _acquire).
    try:
        os.unlink(path / LOCK_NAME)
    except OSError:
        pass
    os.close(fd)
    if created:
        try:
            path.rmdir()  # only when empty: a run that failed before writing leaves nothing behind
        except OSError:
            pass


@contextmanager
def output_lock(folder: str | os.PathLike, what: str | None = None) -> Iterator[Path]:
    """Hold the folder's write lock for the block (the folder is created, and removed again at the
    end if it is still empty); raise FolderLocked, naming the holder, when another process holds
    it. `what` names the command in the lock."""
    path = Path(folder)
    if path.exists() and not path.is_dir():
        raise MathdistillError(f"{path} is a file, expected an output folder")
    created = not path.exists()
    path.mkdir(parents=True, exist_ok=True)
    key = path.resolve()
    with _guard:
        if key in _held:
            _held[key][1] += 1
            reentered = True
        else:
            reentered = False
    if reentered:
        try:
            yield path
        finally:
            with _guard:
                _held[key][1] -= 1
        return
    if fcntl is None:  # pragma: no cover
        yield path
        return
    try:
        fd = _acquire(key)
    except BaseException:
        if created:
            _rmdir_quietly(path)
        raise
    try:
        _record(fd, what)
        with _guard:
            _held[key] = [fd, 1]
        yield path
    finally:
        with _guard:
            _held.pop(key, None)
        _release(key, fd, created)


def _rmdir_quietly(path: Path) -> None:
    try:
        path.rmdir()
    except OSError:
        pass
