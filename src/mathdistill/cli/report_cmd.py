"""`mathdistill report DIR... -o report.html`: one self-contained HTML page comparing runs."""

from __future__ import annotations

from typing import Annotated

import typer

from mathdistill.cli.common import console


def register(app: typer.Typer) -> None:
    @app.command("report")
    def report(
        dirs: Annotated[list[str], typer.Argument(help="Eval output dirs (results.json); training dirs "
                                                       "(trainer_state.json) and curation dirs (stats.json) too.")],
        output: Annotated[str, typer.Option("-o", "--output", help="HTML file to write.")] = "report.html",
        title: Annotated[str, typer.Option(help="Page title.")] = "mathdistill report",
        max_samples: Annotated[int, typer.Option(help="Sample responses shown per eval run.")] = 400,
    ) -> None:
        """Accuracy-vs-k curves, per level/subject bars, difficulty plot, loss curves, curation stats, samples."""
        from pathlib import Path

        from mathdistill.config import check_option
        from mathdistill.errors import ConfigError
        from mathdistill.report.html import build_html
        from mathdistill.report.loaders import load_run

        check_option("--max-samples", max_samples, ge=0)
        if Path(output).is_dir():
            raise ConfigError(f"-o {output} is a folder; give the HTML file to write")
        taken: set[str] = set()
        runs = [load_run(d, taken) for d in dirs]
        html = build_html(runs, title=title, max_samples=max_samples)
        out = Path(output)
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = out.with_name(out.name + ".tmp")
        tmp.write_text(html, encoding="utf-8")
        tmp.replace(out)
        kinds = ", ".join(f"{r.label} ({type(r).__name__})" for r in runs)
        console.print(f"wrote {out} ({len(html) / 1024:.0f} KiB): {kinds}", highlight=False)
