"""Shared CLI bits: console, option types, error boundary helpers."""

from __future__ import annotations

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
