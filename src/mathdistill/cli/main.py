"""Entry point: builds the typer app, registers every stage's commands, and catches errors.

Errors derived from MathdistillError are printed as one line (exit 1), and so is an OSError about a
path the user gave (a file where a folder belongs, a folder where a file does, no permission);
`--debug` shows the traceback. Nothing heavy is imported here: commands import their stage lazily.
"""

from __future__ import annotations

import os
import sys

import typer

from mathdistill import __version__
from mathdistill.cli import (
    curate_cmd,
    data_cmd,
    demo_cmd,
    env_cmd,
    eval_cmd,
    grade_cmd,
    logs,
    models_cmd,
    recipes_cmd,
    report_cmd,
    run_cmd,
    sample_cmd,
    score_cmd,
    train_cmd,
)

app = typer.Typer(
    name="mathdistill",
    help="Distill math reasoning from teacher LLMs into small models, using correct and incorrect samples.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"mathdistill {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    debug: bool = typer.Option(False, "--debug", help="Show full tracebacks on errors (and debug logs)."),
    verbose: bool = typer.Option(False, "--verbose", help="Let third-party logs, warnings and progress bars through."),
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Print the version."),
) -> None:
    if debug:
        os.environ["MATHDISTILL_DEBUG"] = "1"
    logs.setup(verbose=verbose, debug=debug)


# Every command module registers its commands on `app`. They import their stage lazily, inside the
# commands, so a missing optional dependency is reported by the command that needs it, when it runs.
for _m in (env_cmd, data_cmd, models_cmd, grade_cmd, sample_cmd, curate_cmd, eval_cmd, report_cmd, train_cmd,
           score_cmd, run_cmd, demo_cmd, recipes_cmd):
    _m.register(app)


def main(argv: list[str] | None = None) -> None:
    from mathdistill.errors import MathdistillError

    debug = "--debug" in (argv if argv is not None else sys.argv[1:]) or os.environ.get("MATHDISTILL_DEBUG") == "1"
    try:
        app(args=argv, standalone_mode=True)
    except MathdistillError as e:
        if debug:
            raise
        from mathdistill.io.redact import redact_text

        typer.secho(f"error: {redact_text(str(e))}", fg=typer.colors.RED, err=True)
        sys.exit(1)
    except OSError as e:
        if debug or e.filename is None:
            raise
        hint = " (a file where a folder is needed)" if isinstance(e, FileExistsError | NotADirectoryError) and \
            os.path.isfile(e.filename) else ""
        typer.secho(f"error: {e.filename}: {e.strerror or e}{hint}", fg=typer.colors.RED, err=True)
        sys.exit(1)
    except KeyboardInterrupt:
        typer.secho("interrupted", fg=typer.colors.YELLOW, err=True)
        sys.exit(130)
