"""`mathdistill sample`: teacher sampling with rejection sampling (RFT, DARS-Uniform, DARS-Prop2Diff)."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from mathdistill.cli.common import (
    AnswerFieldOpt,
    ConfigOpt,
    DataDirOpt,
    IdFieldOpt,
    QuestionFieldOpt,
    SetOpt,
    console,
)

# flag value name -> SampleConfig field (dotted for nested groups)
_FIELDS = {
    "data": "data", "split": "split", "limit": "limit", "data_dir": "data_dir",
    "question_field": "question_field", "answer_field": "answer_field", "id_field": "id_field",
    "template": "template", "n_shots": "n_shots", "shots_from": "shots_from",
    "model": "model", "backend": "backend", "teacher_name": "teacher_name",
    "strategy": "strategy", "k": "k", "k_correct": "k_correct", "k_max": "k_max", "max_trials": "max_trials",
    "first_pass_k": "first_pass_k", "fail_rates": "fail_rates",
    "temperature": "temperature", "top_p": "top_p", "max_new_tokens": "max_new_tokens", "seed": "seed",
    "out": "out", "overwrite": "overwrite", "batch_requests": "batch_requests",
    "num_shards": "num_shards", "shard_index": "shard_index",
    "ray": "ray", "num_actors": "num_actors", "ray_address": "ray_address",
    "grading_workers": "grading_workers", "progress": "progress",
    "tensor_parallel_size": "vllm.tensor_parallel_size", "data_parallel_size": "vllm.data_parallel_size",
    "gpu_memory_utilization": "vllm.gpu_memory_utilization", "max_model_len": "vllm.max_model_len",
    "hf_batch_size": "hf.batch_size",
    "base_url": "openai.base_url", "api_key_env": "openai.api_key_env", "concurrency": "openai.concurrency",
}

Opt = typer.Option
OInt = Optional[int]  # noqa: UP045
OStr = Optional[str]  # noqa: UP045
OFloat = Optional[float]  # noqa: UP045
OBool = Optional[bool]  # noqa: UP045


def register(app: typer.Typer) -> None:
    _register_merge(app)

    @app.command("sample")
    def sample(
        config: ConfigOpt = None,
        set_: SetOpt = None,
        data: Annotated[OStr, Opt("--data", help="Source (gsm8k, math, ...) or a JSONL path.")] = None,
        split: Annotated[OStr, Opt(help="Split to sample (default train).")] = None,
        limit: Annotated[OInt, Opt(help="Use only the first N problems.")] = None,
        data_dir: DataDirOpt = None,
        question_field: QuestionFieldOpt = None,
        answer_field: AnswerFieldOpt = None,
        id_field: IdFieldOpt = None,
        template: Annotated[OStr, Opt(help="Prompt template (default: the source's).")] = None,
        n_shots: Annotated[OInt, Opt(help="Few-shot exemplars from the train split.")] = None,
        shots_from: Annotated[OStr, Opt(help="Exemplar source for a JSONL --data.")] = None,
        model: Annotated[OStr, Opt(help="Teacher: 'smollm2', a local dir, an HF id or an API model name.")] = None,
        backend: Annotated[OStr, Opt(help="vllm | hf | openai | fake.")] = None,
        teacher_name: Annotated[OStr, Opt(help="Name recorded as `teacher` (default: --model).")] = None,
        strategy: Annotated[OStr, Opt(help="vanilla (RFT) | uniform (DARS-Uniform) | prop2diff.")] = None,
        k: Annotated[OInt, Opt("--k", help="vanilla: samples per problem.")] = None,
        k_correct: Annotated[OInt, Opt(help="uniform: correct samples wanted per problem.")] = None,
        k_max: Annotated[OInt, Opt(help="prop2diff: correct samples for the hardest problems.")] = None,
        max_trials: Annotated[OInt, Opt(help="uniform/prop2diff: cap on samples per problem.")] = None,
        first_pass_k: Annotated[OInt, Opt(help="prop2diff: first-pass samples to estimate fail rates.")] = None,
        fail_rates: Annotated[OStr, Opt(help="prop2diff: a previous run's stats.jsonl (pass_rate).")] = None,
        temperature: Annotated[OFloat, Opt(help="Sampling temperature (default 0.7).")] = None,
        top_p: Annotated[OFloat, Opt(help="Nucleus sampling top_p.")] = None,
        max_new_tokens: Annotated[OInt, Opt(help="Max tokens per response.")] = None,
        seed: Annotated[OInt, Opt(help="Base seed; per-request seeds derive from it.")] = None,
        out: Annotated[OStr, Opt("--out", help="Output directory (resumed if it exists).")] = None,
        overwrite: Annotated[OBool, Opt("--overwrite", help="Delete previous outputs in --out first.")] = None,
        batch_requests: Annotated[OInt, Opt(help="Requests per generate/grade/append step.")] = None,
        num_shards: Annotated[OInt, Opt(help="Split problems into N shards (cluster jobs).")] = None,
        shard_index: Annotated[OInt, Opt(help="Which shard this job runs (0-based).")] = None,
        ray: Annotated[OBool, Opt("--ray", help="Spread shards over Ray actors and merge.")] = None,
        num_actors: Annotated[OInt, Opt(help="Ray actors (one engine each).")] = None,
        ray_address: Annotated[OStr, Opt(help="Ray cluster address (default: start a local one).")] = None,
        tensor_parallel_size: Annotated[OInt, Opt(help="vLLM tensor parallel size.")] = None,
        data_parallel_size: Annotated[OInt, Opt(help="vLLM data parallel size.")] = None,
        gpu_memory_utilization: Annotated[OFloat, Opt(help="vLLM GPU memory fraction.")] = None,
        max_model_len: Annotated[OInt, Opt(help="vLLM max model length.")] = None,
        hf_batch_size: Annotated[OInt, Opt(help="hf: prompts per generate call.")] = None,
        base_url: Annotated[OStr, Opt(help="openai: server URL, e.g. http://127.0.0.1:8000/v1.")] = None,
        api_key_env: Annotated[OStr, Opt(help="openai: env var holding the API key.")] = None,
        concurrency: Annotated[OInt, Opt(help="openai: concurrent requests.")] = None,
        grading_workers: Annotated[OInt, Opt(help="Grading processes.")] = None,
        progress: Annotated[OBool, Opt("--progress/--no-progress", help="Show a progress bar.")] = None,
    ) -> None:
        """Sample teacher responses, grade every one, and keep them all (resumable with kill -9).

        Example: mathdistill sample --data gsm8k --split test --limit 6 --model smollm2 --backend hf
        --strategy vanilla --k 2 --max-new-tokens 64 --out runs/s1
        """
        from mathdistill.config import load_config
        from mathdistill.sampling.config import SampleConfig

        given = dict(locals())
        cli = {field: given[name] for name, field in _FIELDS.items() if given.get(name) is not None}
        cfg = load_config(SampleConfig, config, set_, cli)
        if cfg.ray:
            from mathdistill.sampling.ray_runner import run_ray

            summary = run_ray(cfg)
        else:
            from mathdistill.sampling.runner import run_sampling

            summary = run_sampling(cfg)
        console.print(
            f"[bold]{summary['problems']}[/bold] problems, {summary['samples']} samples, "
            f"{summary['correct']} correct (acceptance {summary['acceptance_rate']:.3f}), "
            f"{summary['problems_with_correct']} problems with a correct sample, "
            f"{summary.get('tokens_per_s', 0.0):.1f} tokens/s -> {summary['out']}", highlight=False)


def _register_merge(app: typer.Typer) -> None:
    @app.command("merge-samples")
    def merge_samples(
        shard_dirs: Annotated[list[str], typer.Argument(help="Output dirs of `sample --num-shards N --shard-index i`.")],
        out: Annotated[str, Opt("-o", "--out", help="Merged output dir.")],
    ) -> None:
        """Merge sharded sampling runs into one samples dir (refuses overlapping shards)."""
        from pathlib import Path

        from mathdistill.sampling.merge import merge_run_info, merge_shards

        dirs = [Path(d) for d in shard_dirs]
        n_samples, n_stats = merge_shards(Path(out), dirs)
        merge_run_info(Path(out), dirs)
        typer.echo(f"merged {len(dirs)} shards: {n_samples} samples, {n_stats} problems -> {out}")
