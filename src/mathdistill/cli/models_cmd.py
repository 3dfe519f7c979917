"""`mathdistill models prepare|path`: the embedded default model."""

from __future__ import annotations

from typing import Annotated

import typer


def register(app: typer.Typer) -> None:
    models_app = typer.Typer(help="Embedded default model and model names.", no_args_is_help=True)
    app.add_typer(models_app, name="models")

    @models_app.command("prepare")
    def prepare(
        name: Annotated[str, typer.Argument(help="Model alias (smollm2).")] = "smollm2",
        force: Annotated[bool, typer.Option("--force", help="Rebuild even if cached.")] = False,
    ) -> None:
        """Convert the embedded GGUF into a plain HF checkpoint in the cache (idempotent)."""
        from mathdistill.errors import MathdistillError
        from mathdistill.models.registry import ALIASES

        mod = ALIASES.get(name.lower())
        if mod is None:
            raise MathdistillError(f"unknown model alias '{name}' (known: {', '.join(ALIASES)})")
        was = mod.is_prepared()
        path = mod.prepare(force=force)
        typer.echo(f"{'already prepared' if was and not force else 'prepared'}: {path}")

    @models_app.command("path")
    def path(name: Annotated[str, typer.Argument(help="Alias, HF id or local path.")]) -> None:
        """Print what a model name resolves to (prepares the embedded model if needed)."""
        from mathdistill.models.registry import resolve_model

        typer.echo(resolve_model(name))
