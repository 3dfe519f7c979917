"""`mathdistill grade IN.jsonl -o OUT.jsonl`: add pred/correct/rule/error to every line."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from mathdistill.cli.common import console


def register(app: typer.Typer) -> None:
    @app.command("grade")
    def grade_cmd(
        in_path: Annotated[str, typer.Argument(help="JSONL (or .jsonl.gz) with a response and a gold answer per line.")],
        out: Annotated[str, typer.Option("-o", "--out", help="Output JSONL (input lines plus pred/correct/rule/error).")],
        response_field: Annotated[str, typer.Option(help="Field holding the model response.")] = "response",
        answer_field: Annotated[str, typer.Option(help="Field holding the gold final answer (or a solution "
                                                  "whose last \\boxed{} is the answer).")] = "answer",
        finish_field: Annotated[str, typer.Option(help="Field with the finish reason; 'length'/'abort' "
                                                  "grade as truncated. Optional per line.")] = "finish_reason",
        workers: Annotated[int, typer.Option(help="Grading worker processes.")] = 2,
        timeout: Annotated[float, typer.Option(help="Wall-clock seconds per item before it is graded a timeout.")] = 5.0,
        meta: Annotated[Optional[bool], typer.Option(  # noqa: UP045
            "--meta/--no-meta", help="Write OUT.meta.json with grader version and library versions.")] = True,
    ) -> None:
        """Grade responses against gold answers; prints accuracy and the extraction-failure rate."""
        from mathdistill.grading.files import grade_file

        s = grade_file(in_path, out, response_field=response_field, answer_field=answer_field,
                      finish_field=finish_field, workers=workers, timeout_s=timeout, write_meta=bool(meta))
        console.print(
            f"graded {s['n']} lines -> {out}\n"
            f"accuracy {s['accuracy']:.4f} ({s['correct']}/{s['n']}), "
            f"extraction failures {s['extract_failed_rate']:.4f} ({s['extract_failed']}), "
            f"truncated {s['truncated']}, timeouts {s['timeout']}  [{s['grader_version']}]",
            highlight=False, markup=False,
        )
