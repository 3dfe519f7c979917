"""`mathdistill recipes list|copy`: the configs shipped inside the package (as torchtune's `tune ls|cp`)."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from mathdistill.cli.common import console

OStr = Optional[str]  # noqa: UP045


def register(app: typer.Typer) -> None:
    recipes_app = typer.Typer(help="The recipes (run, sample, curate, eval and accelerate configs) shipped with "
                                   "the package: list them, copy one to edit.", no_args_is_help=True)
    app.add_typer(recipes_app, name="recipes")

    @recipes_app.command("list")
    def list_(
        paths: Annotated[bool, typer.Option("--paths", help="Also print where each file is installed.")] = False,
    ) -> None:
        """Every shipped recipe with its first comment line; run one with `mathdistill run NAME`."""
        from rich.table import Table

        from mathdistill.pipeline.recipes import list_recipes

        t = Table(show_edge=False)
        for c in ("recipe", "kind", "what", *(["path"] if paths else [])):
            t.add_column(c, overflow="fold")
        for r in list_recipes():
            t.add_row(r.name, r.kind, r.description, *([str(r.path)] if paths else []))
        console.print(t)

    @recipes_app.command("copy")
    def copy(
        name: Annotated[str, typer.Argument(help="Recipe name from `mathdistill recipes list` (e.g. run_tdg_math).")],
        dest: Annotated[OStr, typer.Argument(help="Target file or folder (default: ./NAME.yaml).")] = None,
        force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
    ) -> None:
        """Copy a shipped recipe to edit it, then `mathdistill run FILE`."""
        from mathdistill.pipeline.recipes import copy_recipe

        path = copy_recipe(name, dest, overwrite=force)
        console.print(f"copied {name} -> {path}", highlight=False)
