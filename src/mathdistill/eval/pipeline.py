"""`mathdistill eval`: generate (cached) -> grade -> vote -> metrics -> results.json.

Output folder:
  config.yaml         resolved EvalConfig
  generations/        cache, one JSONL per (dataset, mode, key); reruns continue from it
  samples.jsonl       every graded sample (meta: dataset, mode, question, subject, level, difficulty)
  per_problem.jsonl   per-problem counts, answer classes and metric values
  results.json        metrics per dataset (+ CIs, breakdowns), run metadata, timing
`--from-samples DIR` rebuilds the last three from DIR/samples.jsonl without a model.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

from mathdistill.config import save_resolved
from mathdistill.errors import MathdistillError
from mathdistill.eval import metrics as M
from mathdistill.eval.aggregate import MetricOptions, build_rows, dataset_metrics
from mathdistill.eval.config import EvalConfig
from mathdistill.eval.grade_step import equivalence_table
from mathdistill.eval.runner import GenerationJob, run_job
from mathdistill.grading.apply import grade_samples
from mathdistill.io.jsonl import read_records, write_jsonl
from mathdistill.records import Problem, Sample
from mathdistill.sampling.base import Backend, BackendSpec, SamplingParams, backend_class
from mathdistill.sampling.generate import make_prompter
from mathdistill.store.samples import SAMPLES


def dataset_name(source: str) -> str:
    from mathdistill.data.sources import is_local_file

    return Path(source).name.split(".")[0] if is_local_file(source) else source


def difficulty(p: Problem) -> tuple[Any, str | None]:
    """MATH level when known, else the number of reasoning steps of a GSM8K-style solution."""
    if p.level is not None:
        return p.meta.get("level"), "level"
    if p.solution and "####" in p.solution:
        return sum(1 for ln in p.solution.rsplit("####", 1)[0].splitlines() if ln.strip()), "steps"
    return None, None


def _annotate(s: Sample, p: Problem) -> Sample:
    d, kind = difficulty(p)
    meta = {**s.meta, "question": p.question, "subject": p.subject, "level": p.meta.get("level"),
            "difficulty": d, "difficulty_kind": kind}
    return dataclasses.replace(s, meta=meta)


def generate(cfg: EvalConfig, backend_factory: Callable[[], Backend] | None = None,
             progress: bool = True) -> tuple[list[Sample], dict[str, Any], dict[str, float]]:
    """Generate (or reuse) greedy and sampled completions for every dataset.

    A `backend_factory` stays its caller's to close; a backend made here is closed here."""
    from mathdistill.data.sources import load_problems

    spec = backend_spec(cfg)
    local = backend_class(cfg.backend).loads_local_weights
    holder: dict[str, Backend] = {}

    timing: dict[str, float] = {}

    def factory() -> Backend:
        # Created on first need only: a fully cached rerun never loads the model.
        if "b" not in holder:
            t = time.perf_counter()
            holder["b"] = backend_factory() if backend_factory is not None else spec.create()
            timing["backend_start_s"] = round(time.perf_counter() - t, 3)
        return holder["b"]

    cache = Path(cfg.out) / "generations"
    samples: list[Sample] = []
    prompts: dict[str, Any] = {}
    try:
        for source in cfg.data:
            name = dataset_name(source)
            problems = load_problems(source, cfg.split, data_dir=cfg.data_dir, limit=cfg.limit)
            prompter = make_prompter(cfg.model, cfg.template, cfg.n_shots, loads_local_weights=local, source=source,
                                     split=cfg.split, data_dir=cfg.data_dir, seed=cfg.seed, shots_from=cfg.shots_from)
            prompts[name] = prompter.describe()
            modes = [("greedy", SamplingParams(n=1, temperature=0.0, top_p=1.0, max_tokens=cfg.max_new_tokens,
                                               seed=cfg.seed))] if cfg.greedy else []
            modes.append(("sampled", SamplingParams(n=cfg.n, temperature=cfg.temperature, top_p=cfg.top_p,
                                                    max_tokens=cfg.max_new_tokens, seed=cfg.seed)))
            by_id = {p.id: p for p in problems}
            for mode, params in modes:
                job = GenerationJob(name, mode, problems, prompter, params, spec.model, cfg.backend)
                t0 = time.perf_counter()
                got = run_job(job, cache, factory, batch_size=cfg.batch_size, progress=progress)
                timing[f"generate/{name}/{mode}"] = round(time.perf_counter() - t0, 3)
                timing[f"generated/{name}/{mode}"] = job.generated  # new completions (not from the cache)
                samples.extend(_annotate(s, by_id[s.problem_id]) for s in got)
        # Engine, version, batch size, seed mode change greedy outputs, so they are recorded;
        # None when everything came from the generations cache.
        backend_info = holder["b"].describe() if "b" in holder else None
    finally:
        if "b" in holder and backend_factory is None:
            holder["b"].close()
    meta = {"prompt": prompts, "model_resolved": spec.model, "backend": backend_info}
    return samples, meta, timing


def backend_spec(cfg: EvalConfig) -> BackendSpec:
    """The backend an eval starts: `cfg.model` made loadable by `cfg.backend`, with its options."""
    return BackendSpec.prepared(cfg.backend, cfg.model, cfg.engine_kwargs())


def _sampling_block(cfg: EvalConfig) -> dict[str, Any]:
    return {"n": cfg.n, "temperature": cfg.temperature, "top_p": cfg.top_p, "max_tokens": cfg.max_new_tokens,
            "greedy_pass": cfg.greedy, "backend": cfg.backend, "batch_size": cfg.batch_size,
            "backend_kwargs": cfg.engine_kwargs()}


def compute(cfg: EvalConfig, samples: list[Sample], gen_meta: dict[str, Any], timing: dict[str, float],
            out_dir: Path) -> dict[str, Any]:
    """Metrics from graded samples; writes per_problem.jsonl and results.json into out_dir."""
    from mathdistill.grading import GRADER_VERSION
    from mathdistill.runinfo import run_metadata

    t0 = time.perf_counter()
    opts = MetricOptions(cfg.max_subsets, cfg.mc_samples, cfg.n_boot, cfg.seed, cfg.asc_variants)
    scorer = None
    if cfg.voting == "asc":
        from mathdistill.inference.scorer import load_scorer
        from mathdistill.ranker import SCORER_LOADER as RANKER_LOADER

        scorer = load_scorer(cfg.ranker, loaders=[RANKER_LOADER])  # type: ignore[arg-type]
    by_ds: dict[str, list[Sample]] = defaultdict(list)
    for s in samples:
        by_ds[str(s.meta.get("dataset"))].append(s)
    results: dict[str, Any] = {}
    all_rows = []
    for name, ss in by_ds.items():
        groups: dict[str, list[Sample]] = defaultdict(list)
        for s in ss:
            if s.meta.get("mode") != "greedy":
                groups[s.problem_id].append(s)
        for g in groups.values():
            g.sort(key=lambda s: s.sample_idx)
        equiv = equivalence_table(groups.values(), workers=cfg.grade_workers, timeout_s=cfg.grade_timeout)
        scores = None
        if scorer is not None:
            scores = {pid: scorer.score(_problem_of(g[0]), g) for pid, g in groups.items()}
            known = sum(x is not None for v in scores.values() for x in v)
            total = sum(len(v) for v in scores.values())
            if total and known == 0:
                raise MathdistillError(f"--ranker {cfg.ranker}: no score for any sample of '{name}' "
                                       "(check problem_id/sample_idx)")
        rows = build_rows(ss, equiv, scores, opts)
        results[name] = dataset_metrics(rows, opts)
        if scores is not None:
            total = sum(len(v) for v in scores.values())
            results[name]["ranker_coverage"] = sum(x is not None for v in scores.values() for x in v) / max(1, total)
        all_rows.extend(rows)
    timing["metrics_s"] = round(time.perf_counter() - t0, 3)
    write_jsonl(out_dir / "per_problem.jsonl", all_rows)
    doc = {
        "metrics": results,
        "summary": summary_table(results),
        "metric_definitions": {**M.DEFINITIONS, "max_subsets": cfg.max_subsets, "mc_samples": cfg.mc_samples,
                               "n_boot": cfg.n_boot},
        "voting": {"method": cfg.voting, "ranker": cfg.ranker, "asc_weight": cfg.asc_weight,
                   "asc_variants": cfg.asc_variants, "equivalence": "grading.is_equivalent over extracted answers",
                   "ties": "1/|tie set| expected accuracy", "truncated_samples_vote": False},
        "model": cfg.model,
        "model_resolved": gen_meta.get("model_resolved"),
        "grader_version": GRADER_VERSION,
        "run_metadata": run_metadata(config=cfg, prompt=gen_meta.get("prompt"), sampling=_sampling_block(cfg),
                                     seeds={"seed": cfg.seed, "bootstrap_seed": cfg.seed, "subset_seed": cfg.seed},
                                     grader=GRADER_VERSION, extra={"source_run": gen_meta.get("source_run"),
                                                                         "backend": gen_meta.get("backend")}),
        "timing": timing,
        "files": {"samples": SAMPLES, "per_problem": "per_problem.jsonl", "config": "config.yaml"},
    }
    (out_dir / "results.json").write_text(json.dumps(doc, indent=1, ensure_ascii=False))
    return doc


def _problem_of(s: Sample) -> Problem:
    return Problem(id=s.problem_id, question=s.meta.get("question") or s.prompt, answer=s.answer or "",
                   source=str(s.meta.get("dataset") or ""), meta={"subject": s.meta.get("subject"),
                                                                  "level": s.meta.get("level")})


def summary_table(results: dict[str, Any]) -> dict[str, dict[str, float | None]]:
    """dataset -> {metric: value} for the headline metrics (greedy, mean@n, maj@n, pass@n, ...)."""
    out = {}
    for name, m in results.items():
        row: dict[str, float | None] = {}
        for k, v in m.items():
            if isinstance(v, dict) and "value" in v:
                row[k] = v["value"]
        row["extraction_failure_rate"] = m.get("extraction_failure_rate")
        out[name] = row
    return out


def run_eval(cfg: EvalConfig, backend_factory: Callable[[], Backend] | None = None,
             progress: bool = True) -> dict[str, Any]:
    out = Path(cfg.out)
    out.mkdir(parents=True, exist_ok=True)
    save_resolved(cfg, out)
    t0 = time.perf_counter()
    samples, meta, timing = generate(cfg, backend_factory, progress)
    timing["generation_s"] = round(time.perf_counter() - t0, 3)
    t1 = time.perf_counter()
    grade_samples(samples, workers=cfg.grade_workers, timeout_s=cfg.grade_timeout)
    timing["grading_s"] = round(time.perf_counter() - t1, 3)
    write_jsonl(out / SAMPLES, samples)
    doc = compute(cfg, samples, meta, timing, out)
    timing["total_s"] = round(time.perf_counter() - t0, 3)
    doc["timing"] = timing
    (out / "results.json").write_text(json.dumps(doc, indent=1, ensure_ascii=False))
    return doc


def run_from_samples(src: str | Path, cfg: EvalConfig, regrade: bool | None = None) -> dict[str, Any]:
    """Recompute every metric from SRC/samples.jsonl (no model); regrade if the grader changed."""
    from mathdistill.grading import GRADER_VERSION

    src = Path(src)
    path = src / SAMPLES if src.is_dir() else src
    samples = list(read_records(path, Sample))
    if not samples:
        raise MathdistillError(f"{path}: no samples")
    old = json.loads((path.parent / "results.json").read_text()) if (path.parent / "results.json").exists() else {}
    out = Path(cfg.out)
    out.mkdir(parents=True, exist_ok=True)
    save_resolved(cfg, out)
    timing: dict[str, float] = {}
    if regrade is None:
        regrade = old.get("grader_version") != GRADER_VERSION or any(s.correct is None for s in samples)
    if regrade:
        t = time.perf_counter()
        grade_samples(samples, workers=cfg.grade_workers, timeout_s=cfg.grade_timeout)
        timing["grading_s"] = round(time.perf_counter() - t, 3)
    if regrade or path.resolve() != (out / SAMPLES).resolve():
        if regrade:
            write_jsonl(out / SAMPLES, samples)
        else:
            shutil.copyfile(path, out / SAMPLES)
    gen_meta = {"prompt": (old.get("run_metadata") or {}).get("prompt"), "model_resolved": old.get("model_resolved"),
                "source_run": str(path.parent.resolve())}
    return compute(cfg, samples, gen_meta, timing, out)


def load_results(path: str | Path) -> dict[str, Any]:
    p = Path(path)
    p = p / "results.json" if p.is_dir() else p
    try:
        return json.loads(p.read_text())
    except FileNotFoundError:
        raise MathdistillError(f"{p}: not found") from None

