"""Shared CLI bits: console, option types, error boundary helpers."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Optional

import typer
from rich.console import Console

console = Console(stderr=False)
err_console = Console(stderr=True)

ConfigOpt = Annotated[Optional[str], typer.Option("--config", help="YAML config file.")]  # noqa: UP045
SetOpt = Annotated[
    Optional[list[str]],  # noqa: UP045
    typer.Option("--set", help="Dotted override, e.g. --set sampling.temperature=0.5 (repeatable)."),
]
DataDirOpt = Annotated[
    Optional[str],  # noqa: UP045
    typer.Option("--data-dir", help="Folder with local dataset files (default: $MATHDISTILL_DATA, else the HF Hub)."),
]
QuestionFieldOpt = Annotated[Optional[str], typer.Option("--question-field", help="JSONL field of the question.")]  # noqa: UP045
AnswerFieldOpt = Annotated[Optional[str], typer.Option("--answer-field", help="JSONL field of the gold answer.")]  # noqa: UP045
IdFieldOpt = Annotated[Optional[str], typer.Option("--id-field", help="JSONL field of the problem id.")]  # noqa: UP045


@contextmanager
def no_folder_if_refused(out: str | os.PathLike) -> Iterator[None]:
    """A command refused (a MathdistillError: bad data, no such model) before it wrote more than its
    resolved config into the output folder it created leaves no folder behind: nothing that looks
    like a started run, and the corrected rerun starts clean."""
    from pathlib import Path

    from mathdistill.errors import MathdistillError

    folder = Path(out)
    fresh = not folder.exists()
    try:
        yield
    except MathdistillError:
        if fresh and folder.is_dir() and {p.name for p in folder.iterdir()} <= {"config.yaml"}:
            (folder / "config.yaml").unlink(missing_ok=True)
            folder.rmdir()
        raise
