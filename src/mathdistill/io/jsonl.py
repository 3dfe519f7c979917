"""JSONL I/O: strict reading with file:line:field errors, append-only whole-line writing.

Crash safety: every record is serialised first and written with a single `write` of
one complete line, then flushed (and optionally fsync'ed). A process killed mid-write can
leave at most one partial *last* line without its newline; `JsonlAppender` truncates that
torn tail before appending, and readers refuse partial lines anywhere else.
"""

from __future__ import annotations

import gzip
import json
import os
import zlib
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, TypeVar

from mathdistill.errors import DataError
from mathdistill.records import RecordFieldError

T = TypeVar("T")


def _open_text(path: Path):
    if path.suffix == ".gz":
        return gzip.open(path, "rt", encoding="utf-8")
    return open(path, encoding="utf-8")


def _lines(p: Path) -> Iterator[tuple[int, str]]:
    """(line number, text) of a UTF-8 file, gzip when the name ends in .gz; each way a file can be
    unreadable (a folder, not gzip, not UTF-8) is one DataError naming the file and line."""
    if p.is_dir():
        raise DataError(p, None, None, "is a directory, expected a JSONL file")
    opener = gzip.open if p.suffix == ".gz" else open
    lineno = 0
    try:
        with opener(p, "rb") as f:
            for lineno, raw in enumerate(f, 1):
                try:
                    yield lineno, raw.decode("utf-8")
                except UnicodeDecodeError as e:
                    raise DataError(p, lineno, None, f"not UTF-8 text (byte 0x{raw[e.start]:02x} at column "
                                                     f"{e.start + 1}); convert the file to UTF-8") from None
    except (gzip.BadGzipFile, EOFError, zlib.error) as e:
        raise DataError(p, lineno + 1 if lineno else None, None,
                        f"not a readable gzip file ({e}); is the .gz name right?") from None


def read_jsonl(path: str | os.PathLike, *, allow_torn_tail: bool = False) -> Iterator[tuple[int, dict]]:
    """Yield (line_number, object) for each non-blank line; raise DataError on bad lines.

    With `allow_torn_tail`, a final line that lacks its newline and does not parse is
    ignored (it is the remains of a killed writer, not data).
    """
    p = Path(path)
    if not p.exists():
        raise DataError(p, None, None, "file not found")
    prev: tuple[int, str] | None = None
    for lineno, line in _lines(p):
        if prev is not None:
            yield _parse(p, *prev)
        prev = (lineno, line) if line.strip() else None
    if prev is not None:
        lineno, line = prev
        if allow_torn_tail and not line.endswith("\n"):
            try:
                yield _parse(p, lineno, line)
            except DataError:
                return
        else:
            yield _parse(p, lineno, line)


def _parse(p: Path, lineno: int, line: str) -> tuple[int, dict]:
    try:
        obj = json.loads(line.rstrip("\r\n"))
    except json.JSONDecodeError as e:
        raise DataError(p, lineno, None, f"malformed JSON ({e.msg} at column {e.colno})") from None
    if not isinstance(obj, dict):
        raise DataError(p, lineno, None, f"expected a JSON object, got {type(obj).__name__}")
    return lineno, obj


def read_records(path: str | os.PathLike, cls: type[T], *, allow_torn_tail: bool = False) -> Iterator[T]:
    """Read a JSONL file of `cls` records (a dataclass with `from_dict`)."""
    for lineno, obj in read_jsonl(path, allow_torn_tail=allow_torn_tail):
        try:
            yield cls.from_dict(obj)  # type: ignore[attr-defined]
        except RecordFieldError as e:
            raise DataError(path, lineno, e.field, str(e)) from None


def write_jsonl(path: str | os.PathLike, rows: Iterable[Any]) -> int:
    """Write rows (dicts or records) atomically: to a temp file, then rename."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    tmp = p.with_name(f".{p.name}.{os.getpid()}.tmp")  # per process: two writers never share a temp
    n = 0
    with open(tmp, "w", encoding="utf-8") as f:
        for row in rows:
            f.write(dumps(row) + "\n")
            n += 1
    os.replace(tmp, p)
    return n


def dumps(row: Any) -> str:
    obj = row.to_dict() if hasattr(row, "to_dict") else row
    return json.dumps(obj, ensure_ascii=False)


def repair_torn_tail(path: str | os.PathLike) -> int:
    """Cut a trailing partial line (no newline) left by a killed writer; return bytes cut."""
    p = Path(path)
    if not p.exists():
        return 0
    size = p.stat().st_size
    if size == 0:
        return 0
    with open(p, "rb+") as f:
        f.seek(size - 1)
        if f.read(1) == b"\n":
            return 0
        # Walk back to the last newline in chunks.
        pos, chunk = size, 1 << 16
        cut = 0
        while pos > 0:
            start = max(0, pos - chunk)
            f.seek(start)
            buf = f.read(pos - start)
            i = buf.rfind(b"\n")
            if i >= 0:
                cut = start + i + 1
                break
            pos = start
        f.truncate(cut)
        return size - cut


class JsonlAppender:
    """Append-only writer of whole lines, safe to kill -9 and reopen.

    Usage:
        with JsonlAppender(path) as out:
            out.write(sample)
    """

    def __init__(self, path: str | os.PathLike, *, fsync: bool = False):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        repair_torn_tail(self.path)
        self._f = open(self.path, "a", encoding="utf-8")
        self._fsync = fsync

    def write(self, row: Any) -> None:
        self._f.write(dumps(row) + "\n")
        self._f.flush()
        if self._fsync:
            os.fsync(self._f.fileno())

    def write_many(self, rows: Iterable[Any]) -> None:
        # One write call per line keeps every line whole even if we die between lines.
        for row in rows:
            self._f.write(dumps(row) + "\n")
        self._f.flush()
        if self._fsync:
            os.fsync(self._f.fileno())

    def close(self) -> None:
        self._f.close()

    def __enter__(self) -> JsonlAppender:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def done_keys(path: str | os.PathLike, key_fields: tuple[str, ...] = ("problem_id", "sample_idx")) -> set[tuple]:
    """Keys already written to `path` (a missing file means none); tolerates a torn tail."""
    p = Path(path)
    if not p.exists():
        return set()
    keys = set()
    for lineno, obj in read_jsonl(p, allow_torn_tail=True):
        try:
            keys.add(tuple(obj[k] for k in key_fields))
        except KeyError as e:
            raise DataError(p, lineno, e.args[0], "missing key field needed to resume") from None
    return keys
