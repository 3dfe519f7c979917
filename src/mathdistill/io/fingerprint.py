"""Content fingerprints: the same bytes give the same key wherever the files live."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable
from pathlib import Path


def file_digest(path: str | os.PathLike) -> str:
    """sha256 of one file's bytes (full hex)."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def files_fingerprint(paths: Iterable[str | os.PathLike]) -> str:
    """One 16-hex key over the contents of several files, in order (names do not count).

    The bytes are hashed as one stream: the keys already stored in finished training folders
    were made this way, so they stay valid."""
    h = hashlib.sha256()
    for p in paths:
        with open(p, "rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                h.update(chunk)
    return h.hexdigest()[:16]


def files_digests(paths: Iterable[str | os.PathLike]) -> dict[str, str]:
    """path -> sha256 of its bytes (for records that say which file changed)."""
    return {str(Path(p)): file_digest(p) for p in paths}


def text_fingerprint(text: str, length: int = 16) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:length]
