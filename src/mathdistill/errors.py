"""Package exceptions. The CLI prints them as one line (traceback only with --debug)."""

from __future__ import annotations


class MathdistillError(Exception):
    """Base class: an error the user can act on, printed as one line by the CLI."""


class DataError(MathdistillError):
    """Bad input data: names the file, the line (1-based) and the field."""

    def __init__(self, path: object, line: int | None, field: str | None, msg: str):
        self.path, self.line, self.field = str(path), line, field
        where = self.path + (f":{line}" if line is not None else "")
        what = f" field '{field}':" if field else ""
        super().__init__(f"{where}:{what} {msg}")


class ConfigError(MathdistillError):
    """Invalid configuration (unknown key, wrong type, absurd value)."""


class MissingDependency(MathdistillError):
    """An optional extra is not installed."""


class BackendError(MathdistillError):
    """A generation backend failed in a way retrying will not fix."""
