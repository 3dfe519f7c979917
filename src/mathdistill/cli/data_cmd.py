"""`mathdistill data list|show|stats`: the registered benchmarks, and problems from a source or a JSONL file."""

from __future__ import annotations

from collections import Counter
from typing import Annotated

import typer

from mathdistill.cli.common import AnswerFieldOpt, DataDirOpt, IdFieldOpt, QuestionFieldOpt, console


def register(app: typer.Typer) -> None:
    data_app = typer.Typer(help="Inspect problem sources (`data list` names them, or a JSONL path).",
                           no_args_is_help=True)
    app.add_typer(data_app, name="data")

    @data_app.command("list")
    def list_(
        as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object per benchmark.")] = False,
    ) -> None:
        """Every registered benchmark: Hub id, local files, answer type, license, usual n, suites."""
        import json

        from rich.markup import escape
        from rich.table import Table

        from mathdistill.data.benchmarks import SUITES
        from mathdistill.data.sources import SOURCES

        in_suites: dict[str, list[str]] = {}
        for suite, items in SUITES.items():
            for item in items:
                in_suites.setdefault(item.split(":")[0], []).append(suite)
        if as_json:
            for b in SOURCES.values():
                typer.echo(json.dumps({"name": b.name, "title": b.title, "hub": b.hub_description(),
                                       "files": b.files, "size": b.size, "answer_type": b.answer_type,
                                       "gold": b.gold, "graded": b.graded, "license": b.license, "n": b.n,
                                       "max_new_tokens": b.max_new_tokens, "suites": in_suites.get(b.name, [])}))
            return
        t = Table(title="benchmarks (`--data NAME[:N]`; suites: " +
                  ", ".join(f"{k}" for k in SUITES) + ")", show_edge=False)
        for col in ("name", "Hugging Face Hub", "local file(s)", "size", "answer", "n", "license", "suites"):
            t.add_column(col, overflow="fold")
        for b in SOURCES.values():
            files = ", ".join(sorted({f for f in b.files.values() if f})) or "(generated)"
            t.add_row(b.name, escape(b.hub_description()), files, b.size, b.answer_type, str(b.n), escape(b.license),
                      ", ".join(in_suites.get(b.name, [])))
        console.print(t)

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
