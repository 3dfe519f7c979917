"""File digests remembered per (path, size, mtime), so a 7B checkpoint is hashed once, not on every eval.

The store is a JSON file; a file whose size or modification time changed is hashed again. Two
processes saving at once lose at most each other's new entries (the store is only a cache).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path

from mathdistill.io.atomic import read_json, write_json_atomic
from mathdistill.io.fingerprint import file_digest, text_fingerprint


class DigestCache:
    def __init__(self, store: str | os.PathLike | None):
        self.store = Path(store) if store is not None else None
        loaded = read_json(self.store) if self.store is not None else None
        self._entries: dict[str, list] = loaded if isinstance(loaded, dict) else {}
        self._dirty = False

    def digest(self, path: str | os.PathLike) -> str:
        p = Path(path).resolve()
        st = p.stat()
        stamp = [st.st_size, st.st_mtime_ns]
        hit = self._entries.get(str(p))
        if isinstance(hit, list) and len(hit) == 3 and hit[:2] == stamp:
            return str(hit[2])
        d = file_digest(p)
        self._entries[str(p)] = [*stamp, d]
        self._dirty = True
        return d

    def fingerprint(self, root: str | os.PathLike, files: Iterable[str | os.PathLike]) -> str:
        """One key over the files' names (relative to `root`) and contents."""
        base = Path(root)
        pairs = sorted((Path(f).relative_to(base).as_posix(), self.digest(f)) for f in files)
        return text_fingerprint(json.dumps(pairs))

    def save(self) -> None:
        if self._dirty and self.store is not None:
            try:
                write_json_atomic(self.store, self._entries, indent=0)
            except OSError:
                return  # a read-only cache dir costs a re-hash next time, nothing else
            self._dirty = False
