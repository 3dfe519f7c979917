"""`mathdistill curate` and `mathdistill import tdg|pool`."""

from __future__ import annotations

from typing import Annotated, Any, Optional

import typer

from mathdistill.cli.common import ConfigOpt, SetOpt, console
from mathdistill.cli.options import config_options
from mathdistill.curation.config import CurateConfig
from mathdistill.pipeline.config import ImportArgs

_Opt = Optional


def _print_summary(title: str, summary: dict) -> None:
    from rich.table import Table

    t = Table(title=title, show_edge=False)
    t.add_column("")
    t.add_column("count", justify="right")
    for k, v in summary.items():
        if not isinstance(v, dict | list):
            t.add_row(k, str(v))
    console.print(t)


_IMPORT_KNOBS = ("limit", "workers", "timeout_s")  # the options `import` shares with the run config's import_pool


def _import_args(file: str, kind: str, output: str, flags: dict[str, Any]) -> ImportArgs:
    """The options checked as the run config checks its `import_pool`, before anything is read or written."""
    from mathdistill.config import check_option, load_config

    check_option("--output", output, folder=True)
    return load_config(ImportArgs, cli={**flags, "path": file, "kind": kind})


def register(app: typer.Typer) -> None:
    import_app = typer.Typer(
        help="Import released teacher pools as a graded samples dir.", no_args_is_help=True
    )
    app.add_typer(import_app, name="import")

    @import_app.command("tdg")
    @config_options(ImportArgs, only=_IMPORT_KNOBS)
    def import_tdg(
        file: Annotated[str, typer.Argument(help="TDG teacher file, e.g. teacher_math_gpt4.jsonl.gz.")],
        output: Annotated[str, typer.Option("-o", "--output", help="Samples dir to write.")],
        *,
        flags: dict[str, Any],
    ) -> None:
        """Import "Turning Dust into Gold" teacher samples (8 per MATH train problem), graded."""
        from mathdistill.curation.importers import TDG_MAPPING, import_pool

        args = _import_args(file, "tdg", output, flags)
        s = import_pool(file, output, TDG_MAPPING, workers=args.workers, limit=args.limit, timeout_s=args.timeout_s)
        _print_summary(f"imported {file} -> {output}", {**s, **s["timing"]})

    @import_app.command("pool")
    @config_options(ImportArgs, only=_IMPORT_KNOBS)
    def import_generic(
        file: Annotated[
            str,
            typer.Argument(
                help="JSONL(.gz): one problem with a list of responses, or one response per line."
            ),
        ],
        output: Annotated[str, typer.Option("-o", "--output", help="Samples dir to write.")],
        question_field: Annotated[str, typer.Option(help="Field of the question.")] = "question",
        responses_field: Annotated[
            str, typer.Option(help="Field of the response(s): list or string.")
        ] = "responses",
        answer_field: Annotated[
            str, typer.Option(help="Field of the gold answer or reference solution.")
        ] = "answer",
        id_field: Annotated[
            _Opt[str], typer.Option(help="Field of the problem id (default: question hash).")
        ] = None,
        solution_field: Annotated[_Opt[str], typer.Option(help="Field of the reference solution.")] = None,
        subject_field: Annotated[_Opt[str], typer.Option(help="Field of the subject.")] = None,
        level_field: Annotated[_Opt[str], typer.Option(help="Field of the level.")] = None,
        teacher_field: Annotated[_Opt[str], typer.Option(help="Field naming the teacher.")] = None,
        teacher: Annotated[str, typer.Option(help="Teacher name when there is no teacher field.")] = "",
        label_field: Annotated[
            _Opt[str], typer.Option(help="Source's own correctness label (kept in meta).")
        ] = None,
        strip_prefix: Annotated[_Opt[list[str]], typer.Option(help="Prefix removed from questions.")] = None,
        *,
        flags: dict[str, Any],
    ) -> None:
        """Import any released pool (DART-Math pools, RFT data, ...) with a field mapping, graded."""
        from pathlib import Path

        from mathdistill.curation.importers import PoolMapping, import_pool

        args = _import_args(file, "pool", output, flags)
        m = PoolMapping(
            question_field=question_field,
            responses_field=responses_field,
            answer_field=answer_field,
            id_field=id_field,
            solution_field=solution_field,
            subject_field=subject_field,
            level_field=level_field,
            teacher_field=teacher_field,
            teacher=teacher,
            label_field=label_field,
            strip_prefixes=list(strip_prefix or []),
            source=Path(file).name.split(".")[0],
        )
        s = import_pool(file, output, m, workers=args.workers, limit=args.limit, timeout_s=args.timeout_s)
        _print_summary(f"imported {file} -> {output}", {**s, **s["timing"]})

    @app.command("curate")
    @config_options(CurateConfig)
    def curate(
        samples_dir: Annotated[
            str, typer.Argument(help="Samples dir (samples.jsonl, stats.jsonl, run.json).")
        ],
        output: Annotated[str, typer.Option("-o", "--output", help="Output folder.")],
        config: ConfigOpt = None,
        set_: SetOpt = None,
        *,
        flags: dict[str, Any],
    ) -> None:
        """Build training sets from a graded samples dir: positives, negatives, DARS, TRL formats."""
        from mathdistill.config import check_option, load_config
        from mathdistill.curation.pipeline import curate as run

        cfg = load_config(CurateConfig, config, set_, flags)
        check_option("--output", output, folder=True)
        stats = run(samples_dir, output, cfg)
        _print_summary(f"curated {samples_dir} -> {output}", stats["files"])
        _print_summary("problems", stats["problems"])
        if stats["decontamination"]["dropped_problems"]:
            console.print(
                f"decontamination dropped {stats['decontamination']['dropped_problems']} problems "
                f"(listed in {output}/stats.json)"
            )
