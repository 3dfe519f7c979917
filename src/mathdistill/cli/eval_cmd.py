"""`mathdistill eval`: greedy, mean@n, pass@k, maj@k and ASC@k on one or more benchmarks."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from mathdistill.cli.common import ConfigOpt, DataDirOpt, SetOpt, console

Opt = typer.Option
OInt = Optional[int]  # noqa: UP045
OStr = Optional[str]  # noqa: UP045
OFloat = Optional[float]  # noqa: UP045
OBool = Optional[bool]  # noqa: UP045

def print_summary(doc: dict[str, Any]) -> None:
    """Metrics (rows) x datasets (columns): value with its 95% CI, then failure rates and timing."""
    from rich.table import Table

    from mathdistill.eval.aggregate import metric_order

    metrics = doc["metrics"]
    names: list[str] = []
    for m in metrics.values():
        for k, v in m.items():
            if isinstance(v, dict) and "value" in v and k not in names:
                names.append(k)
    names.sort(key=lambda k: (-1, 0, 0) if k == "greedy" else metric_order(k))
    t = Table(title=f"eval: {doc.get('model')}  (%, 95% CI)", show_edge=False)
    t.add_column("metric")
    for ds in metrics:
        t.add_column(ds, justify="right")
    t.add_row("problems", *[str(m.get("n_problems")) for m in metrics.values()])
    for k in names:
        cells = []
        for m in metrics.values():
            v = m.get(k)
            cells.append("-" if not v or v.get("value") is None else
                         f"{100 * v['value']:.1f} [{100 * v['ci'][0]:.1f}, {100 * v['ci'][1]:.1f}]")
        t.add_row(k, *cells)
    for k in ("extraction_failure_rate", "truncation_rate"):
        t.add_row(k.replace("_", " "), *["-" if m.get(k) is None else f"{100 * m[k]:.1f}%" for m in metrics.values()])
    console.print(t)
    timing = doc.get("timing", {})
    if timing:
        console.print("timing (s): " + ", ".join(f"{k}={v}" for k, v in timing.items()), highlight=False)


def register(app: typer.Typer) -> None:
    @app.command("eval")
    def eval_(
        config: ConfigOpt = None,
        set_: SetOpt = None,
        model: Annotated[OStr, Opt(help="'smollm2', an HF checkpoint dir, a PEFT adapter dir or a Hub id.")] = None,
        backend: Annotated[OStr, Opt(help="hf | vllm | openai (fake: tests).")] = None,
        data: Annotated[OStr, Opt("--data", help="Comma-separated sources/JSONL paths, e.g. gsm8k,math500,svamp.")]
        = None,
        split: Annotated[OStr, Opt(help="Split (default test).")] = None,
        limit: Annotated[OInt, Opt(help="First N problems of each dataset.")] = None,
        data_dir: DataDirOpt = None,
        template: Annotated[OStr, Opt(help="Prompt template (default: the source's).")] = None,
        n_shots: Annotated[OInt, Opt(help="Few-shot exemplars.")] = None,
        shots_from: Annotated[OStr, Opt(help="Exemplar source for a JSONL --data.")] = None,
        n: Annotated[OInt, Opt("--n", help="Samples per problem for mean@n/pass@k/maj@k.")] = None,
        temperature: Annotated[OFloat, Opt(help="Sampling temperature.")] = None,
        top_p: Annotated[OFloat, Opt(help="Nucleus sampling p.")] = None,
        max_new_tokens: Annotated[OInt, Opt(help="Max new tokens per completion.")] = None,
        seed: Annotated[OInt, Opt(help="Sampling / bootstrap seed.")] = None,
        greedy: Annotated[OBool, Opt("--greedy/--no-greedy", help="Also run a temperature-0 pass.")] = None,
        batch_size: Annotated[OInt, Opt(help="Problems per backend call (results saved after each).")] = None,
        voting: Annotated[OStr, Opt(help="majority | asc (ASC-weighted, needs --ranker).")] = None,
        ranker: Annotated[OStr, Opt(help="Scores JSONL {problem_id,sample_idx,score} or a ranker.")] = None,
        asc_weight: Annotated[OStr, Opt(help="ASC vote weight: s | 1+s | 1+2s | all.")] = None,
        grade_workers: Annotated[OInt, Opt(help="Grading processes.")] = None,
        out: Annotated[OStr, Opt(help="Output folder.")] = None,
        from_samples: Annotated[OStr, Opt(help="Recompute metrics from DIR/samples.jsonl (no model).")] = None,
        regrade: Annotated[OBool, Opt("--regrade/--no-regrade",
                                      help="With --from-samples: regrade (default: only if the grader changed).")]
        = None,
        progress: Annotated[bool, Opt("--progress/--no-progress", help="Show progress bars.")] = True,
    ) -> None:
        """Evaluate a model: generate once, then greedy, mean@n, pass@k, maj@k (and ASC@k) with 95% CIs."""
        from mathdistill.config import load_config
        from mathdistill.errors import MathdistillError
        from mathdistill.eval.config import EvalConfig

        flags = {"model": model, "backend": backend, "split": split, "limit": limit, "data_dir": data_dir, "template": template,
                     "n_shots": n_shots, "shots_from": shots_from, "n": n, "temperature": temperature, "top_p": top_p,
                     "max_new_tokens": max_new_tokens, "seed": seed, "greedy": greedy, "batch_size": batch_size, "voting": voting,
                     "ranker": ranker, "asc_weight": asc_weight, "grade_workers": grade_workers, "out": out}
        if data is not None:
            flags["data"] = [d.strip() for d in data.split(",") if d.strip()]
        if from_samples:
            src = Path(from_samples)
            if not (src / "samples.jsonl").exists() and not src.is_file():
                raise MathdistillError(f"--from-samples {src}: no samples.jsonl there")
            if not out:
                raise MathdistillError("--from-samples needs --out DIR2 (the source run is left untouched)")
            base = config or (str(src / "config.yaml") if (src / "config.yaml").exists() else None)
            cfg = load_config(EvalConfig, base, set_, flags)
            from mathdistill.eval.pipeline import run_from_samples

            doc = run_from_samples(src, cfg, regrade=regrade)
        else:
            cfg = load_config(EvalConfig, config, set_, flags)
            if cfg.backend in ("hf", "vllm") and "seed" not in cfg.backend_kwargs:
                cfg.backend_kwargs["seed"] = cfg.seed
            from mathdistill.eval.pipeline import run_eval

            doc = run_eval(cfg, progress=progress)
        print_summary(doc)
        console.print(f"wrote {Path(cfg.out) / 'results.json'}", highlight=False)
