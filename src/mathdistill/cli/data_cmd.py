"""`mathdistill data show|stats`: look at problems from a source or a JSONL file."""

from __future__ import annotations

from collections import Counter
from typing import Annotated

import typer

from mathdistill.cli.common import AnswerFieldOpt, DataDirOpt, IdFieldOpt, QuestionFieldOpt, console


def register(app: typer.Typer) -> None:
    data_app = typer.Typer(help="Inspect problem sources (gsm8k, math, math500, svamp, asdiv, or a JSONL path).",
                           no_args_is_help=True)
    app.add_typer(data_app, name="data")

    @data_app.command("show")
    def show(
        source: Annotated[str, typer.Argument(help="Source name or JSONL path.")],
        split: Annotated[str, typer.Option(help="Split (train/test).")] = "test",
        limit: Annotated[int, typer.Option(help="How many problems to print.")] = 3,
        data_dir: DataDirOpt = None,
        question_field: QuestionFieldOpt = None,
        answer_field: AnswerFieldOpt = None,
        id_field: IdFieldOpt = None,
        as_json: Annotated[bool, typer.Option("--json", help="Print JSONL records.")] = False,
    ) -> None:
        """Print the first problems of a source with their gold answers."""
        from mathdistill.data.sources import load_problems
        from mathdistill.io.jsonl import dumps

        probs = load_problems(source, split, data_dir=data_dir, limit=limit, question_field=question_field,
                              answer_field=answer_field, id_field=id_field)
        for p in probs:
            if as_json:
                typer.echo(dumps(p))
                continue
            meta = " ".join(f"{k}={v}" for k, v in p.meta.items() if v is not None)
            console.rule(f"[bold]{p.id}[/bold] {meta}")
            console.print(p.question, markup=False, highlight=False)
            console.print(f"[green]gold:[/green] {p.answer}", highlight=False)

    @data_app.command("stats")
    def stats(
        source: Annotated[str, typer.Argument(help="Source name or JSONL path.")],
        split: Annotated[str | None, typer.Option(help="Split; default: every split of the source.")] = None,
        data_dir: DataDirOpt = None,
        question_field: QuestionFieldOpt = None,
        answer_field: AnswerFieldOpt = None,
        id_field: IdFieldOpt = None,
    ) -> None:
        """Count problems per split, subject and level."""
        from rich.table import Table

        from mathdistill.data.sources import SOURCES, is_local_file, load_problems

        splits = [split] if split else (list(SOURCES[source].files) if source in SOURCES else ["all"])
        for sp in splits:
            probs = load_problems(source, sp, data_dir=data_dir, question_field=question_field,
                                  answer_field=answer_field, id_field=id_field)
            label = source if is_local_file(source) else f"{source}/{sp}"
            console.print(f"[bold]{label}[/bold]: {len(probs)} problems")
            subj = Counter(str(p.subject) for p in probs if p.subject is not None)
            lvl = Counter(str(p.level) for p in probs if p.level is not None)
            for title, counts in (("subject", subj), ("level", lvl)):
                if not counts:
                    continue
                t = Table(title=f"per {title}", show_edge=False)
                t.add_column(title)
                t.add_column("problems", justify="right")
                for k, v in sorted(counts.items()):
                    t.add_row(k, str(v))
                console.print(t)
