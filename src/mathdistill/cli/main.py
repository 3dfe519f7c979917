"""Entry point: builds the typer app, registers every stage's commands, and catches errors.

Errors derived from MathdistillError are printed as one line (exit 1); `--debug` shows the
traceback. Nothing heavy is imported here: commands import their stage lazily.
"""

from __future__ import annotations

import importlib
import os
import sys

import typer

from mathdistill import __version__

app = typer.Typer(
    name="mathdistill",
    help="Distill math reasoning from teacher LLMs into small models, using correct and incorrect samples.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

# Stage modules that register commands on `app` (each exposes `register(app)`).
_COMMAND_MODULES = [
    "mathdistill.cli.env_cmd",
    "mathdistill.cli.data_cmd",
    "mathdistill.cli.models_cmd",
    "mathdistill.cli.grade_cmd",
    "mathdistill.cli.sample_cmd",
    "mathdistill.cli.curate_cmd",
    "mathdistill.cli.eval_cmd",
    "mathdistill.cli.report_cmd",
    "mathdistill.cli.train_cmd",
    "mathdistill.cli.score_cmd",
    "mathdistill.cli.run_cmd",
    "mathdistill.cli.demo_cmd",
]


def _version(value: bool) -> None:
    if value:
        typer.echo(f"mathdistill {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    debug: bool = typer.Option(False, "--debug", help="Show full tracebacks on errors."),
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Print the version."),
) -> None:
    if debug:
        os.environ["MATHDISTILL_DEBUG"] = "1"


for _mod in _COMMAND_MODULES:
    try:
        _m = importlib.import_module(_mod)
    except ModuleNotFoundError as _e:
        if _e.name != _mod:  # a real import error inside an existing module
            raise
        continue
    _m.register(app)


def main(argv: list[str] | None = None) -> None:
    from mathdistill.errors import MathdistillError

    debug = "--debug" in (argv if argv is not None else sys.argv[1:]) or os.environ.get("MATHDISTILL_DEBUG") == "1"
    try:
        app(args=argv, standalone_mode=True)
    except MathdistillError as e:
        if debug:
            raise
        typer.secho(f"error: {e}", fg=typer.colors.RED, err=True)
        sys.exit(1)
    except KeyboardInterrupt:
        typer.secho("interrupted", fg=typer.colors.YELLOW, err=True)
        sys.exit(130)
