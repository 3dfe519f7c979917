"""`mathdistill score`: score every sample of an eval run with a trained ranker (for ASC voting)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from mathdistill.cli.common import console

Opt = typer.Option


def register(app: typer.Typer) -> None:
    @app.command("score")
    def score(
        ranker: Annotated[str, Opt("--ranker", help="A trained ranker directory (train --method ranker).")],
        samples: Annotated[str, Opt("--samples", help="An eval run directory (its samples.jsonl) or a samples JSONL.")],
        output: Annotated[str, Opt("-o", "--output", help="Scores JSONL {problem_id, sample_idx, score}.")],
        batch_size: Annotated[int, Opt(help="Sequences per forward pass.")] = 32,
        device: Annotated[Optional[str], Opt(help="cpu | cuda (default: cuda if available).")] = None,  # noqa: UP045
        progress: Annotated[bool, Opt("--progress/--no-progress", help="Show a progress bar.")] = True,
    ) -> None:
        """Write f(question, response) for each sampled (voted) sample; feed it to `eval --voting asc --ranker scores.jsonl`."""
        from mathdistill.errors import ConfigError, MathdistillError
        from mathdistill.io.jsonl import read_records, write_jsonl
        from mathdistill.ranker import load_ranker
        from mathdistill.ranker.scorer import sample_question
        from mathdistill.records import Sample
        from mathdistill.store.samples import SAMPLES

        if batch_size < 1:
            raise ConfigError(f"--batch-size must be >= 1, got {batch_size}")
        src = Path(samples)
        path = src / SAMPLES if src.is_dir() else src
        if not path.exists():
            raise MathdistillError(f"--samples {src}: no {SAMPLES} there")
        # Greedy samples are not voted on, and they share (problem_id, sample_idx) keys with the
        # sampled ones, so scoring them would overwrite the scores ASC needs.
        rows = [s for s in read_records(path, Sample) if s.meta.get("mode") != "greedy"]
        if not rows:
            raise MathdistillError(f"{path}: no sampled (non-greedy) samples to score")
        model = load_ranker(ranker, device=device, batch_size=batch_size)
        scores = model.score_pairs([(sample_question(s), s.response) for s in rows], progress=progress)
        n = write_jsonl(output, ({"problem_id": s.problem_id, "sample_idx": s.sample_idx, "score": v}
                                 for s, v in zip(rows, scores, strict=True)))
        console.print(f"wrote {n} scores to {output}", highlight=False)
