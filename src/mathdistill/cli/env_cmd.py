"""`mathdistill env`: versions and device, for bug reports and results files."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    @app.command("env")
    def env_cmd() -> None:
        """Print versions of Python and the ML stack, and the compute device."""
        from mathdistill.versions import environment

        for k, v in environment(with_device=True).items():
            typer.echo(f"{k:14s} {v}")
