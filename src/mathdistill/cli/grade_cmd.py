"""`mathdistill grade IN.jsonl -o OUT.jsonl`: add pred/correct/rule/error/grader to every line;
`mathdistill grade --regrade RUN_DIR`: regrade a sampling run's samples.jsonl in place, no resampling."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from mathdistill.cli.common import console

_MODE_HELP = ("What the response field holds (docs/grading.md): 'auto' = model responses, a short text that is only "
              "an answer taken whole; 'response' = model responses only; 'answer' = already extracted answers. "
              "Recorded in the output.")
_PERCENT_HELP = ("How a literal % reads (docs/grading.md): 'either' = 50% equals 50 and 0.5; 'number' = 50% "
                 "equals 50 only; 'fraction' = 50% equals 0.5 only. Recorded in the output.")


def register(app: typer.Typer) -> None:
    @app.command("grade")
    def grade_cmd(
        in_path: Annotated[Optional[str], typer.Argument(  # noqa: UP045
            help="JSONL (or .jsonl.gz) with a response and a gold answer per line.")] = None,
        out: Annotated[Optional[str], typer.Option(  # noqa: UP045
            "-o", "--out", help="Output JSONL (input lines plus pred/correct/rule/error/grader); with --regrade, "
                                "write the regraded samples here instead of replacing RUN_DIR/samples.jsonl.")] = None,
        regrade: Annotated[Optional[str], typer.Option(  # noqa: UP045
            "--regrade", metavar="RUN_DIR", help="Regrade a sampling run (RUN_DIR/samples.jsonl) with this grader: "
            "atomic replace, stats.jsonl and run.json updated; no resampling.")] = None,
        response_field: Annotated[str, typer.Option(help="Field holding the model response.")] = "response",
        answer_field: Annotated[str, typer.Option(help="Field holding the gold final answer (or a solution "
                                                  "whose last \\boxed{} or #### is the answer).")] = "answer",
        finish_field: Annotated[str, typer.Option(help="Field with the finish reason; 'length'/'abort' "
                                                  "grade as truncated. Optional per line.")] = "finish_reason",
        percent: Annotated[str, typer.Option(help=_PERCENT_HELP)] = "either",
        mode: Annotated[str, typer.Option(help=_MODE_HELP)] = "auto",
        workers: Annotated[int, typer.Option(help="Grading worker processes.")] = 2,
        timeout: Annotated[float, typer.Option(help="Wall-clock seconds per item before it is graded a timeout.")] = 5.0,
        meta: Annotated[Optional[bool], typer.Option(  # noqa: UP045
            "--meta/--no-meta", help="Write OUT.meta.json with grader version and library versions.")] = True,
    ) -> None:
        """Grade responses against gold answers; prints accuracy and the extraction-failure rate."""
        from mathdistill.config import check_option
        from mathdistill.errors import ConfigError
        from mathdistill.grading import PERCENT_MODES
        from mathdistill.grading.extract import MODES

        if percent not in PERCENT_MODES:
            raise ConfigError(f"--percent must be one of {', '.join(PERCENT_MODES)}, got {percent!r}")
        if mode not in MODES:
            raise ConfigError(f"--mode must be one of {', '.join(MODES)}, got {mode!r}")
        # A timeout <= 0 would grade every item a timeout (wrong) and still exit 0.
        check_option("--workers", workers, ge=1)
        check_option("--timeout", timeout, gt=0)
        if regrade is not None:
            if in_path is not None:
                raise ConfigError("give either IN.jsonl or --regrade RUN_DIR, not both")
            from mathdistill.grading.regrade import regrade_run

            r = regrade_run(regrade, percent=percent, workers=workers, timeout_s=timeout, out=out)
            n = r["samples"]
            console.print(
                f"regraded {n} samples -> {r['out']}\n"
                f"correct {r['correct']}/{n} ({r['correct'] / n if n else 0.0:.4f}), flipped to correct "
                f"{r['flipped_to_correct']}, to wrong {r['flipped_to_wrong']}, timeouts {r['timeouts']}  "
                f"[{r['grader']}]", highlight=False, markup=False)
            return
        if in_path is None or out is None:
            raise ConfigError("usage: mathdistill grade IN.jsonl -o OUT.jsonl, or mathdistill grade --regrade RUN_DIR")
        from mathdistill.grading.files import grade_file

        if Path(out).is_dir():
            raise ConfigError(f"-o {out} is a folder; give the output JSONL file")
        s = grade_file(in_path, out, response_field=response_field, answer_field=answer_field,
                      finish_field=finish_field, workers=workers, timeout_s=timeout, write_meta=bool(meta),
                      percent=percent, mode=mode)
        console.print(
            f"graded {s['n']} lines -> {out}\n"
            f"accuracy {s['accuracy']:.4f} ({s['correct']}/{s['n']}), "
            f"extraction failures {s['extract_failed_rate']:.4f} ({s['extract_failed']}), "
            f"truncated {s['truncated']}, timeouts {s['timeout']}  [{s['grader_version']}]",
            highlight=False, markup=False,
        )

