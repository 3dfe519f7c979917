"""Where mathdistill caches things (prepared models)."""

from __future__ import annotations

import os
from pathlib import Path


def cache_dir() -> Path:
    """$MATHDISTILL_CACHE, else $XDG_CACHE_HOME/mathdistill, else ~/.cache/mathdistill."""
    if os.environ.get("MATHDISTILL_CACHE"):
        return Path(os.environ["MATHDISTILL_CACHE"])
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "mathdistill"
