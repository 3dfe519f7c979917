"""Shared fixtures. Benchmark data comes from ../shared/data unless MATHDISTILL_DATA is set."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
_DEFAULT_DATA = REPO.parent / "shared" / "data"
if not os.environ.get("MATHDISTILL_DATA") and _DEFAULT_DATA.exists():
    os.environ["MATHDISTILL_DATA"] = str(_DEFAULT_DATA)


@pytest.fixture(scope="session")
def data_dir() -> Path:
    d = os.environ.get("MATHDISTILL_DATA")
    if not d or not Path(d).exists():
        pytest.skip("benchmark data not found: set MATHDISTILL_DATA or put shared/data beside the repo")
    return Path(d)


@pytest.fixture(scope="session")
def smollm2_path() -> str:
    """The embedded model as a plain HF checkpoint (prepared once, cached)."""
    pytest.importorskip("transformers")
    pytest.importorskip("gguf")
    from mathdistill.models import smollm2

    try:
        smollm2.find_gguf()
    except Exception as e:  # pragma: no cover
        pytest.skip(f"embedded model package not installed: {e}")
    return str(smollm2.prepare())
