"""Lazy imports of optional heavy dependencies with an actionable error."""

from __future__ import annotations

import importlib
from types import ModuleType

from mathdistill.errors import MissingDependency


def require(module: str, extra: str) -> ModuleType:
    """Import `module` or raise MissingDependency naming the extra that provides it."""
    try:
        return importlib.import_module(module)
    except ImportError as e:  # pragma: no cover - message path tested via a fake module name
        raise MissingDependency(
            f"'{module}' is not installed ({e}); install it with: pip install 'mathdistill[{extra}]'"
        ) from e


