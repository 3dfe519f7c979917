"""`--ray`: spread problem shards over Ray actors (one engine per actor / GPU), then merge.

Actor j runs the ordinary resumable runner on shard j into DIR/shards/shard-j/, so a
killed Ray job resumes shard by shard; the merged DIR/samples.jsonl and DIR/stats.jsonl
are derived files rewritten atomically after all actors finish. Composes with
`--num-shards N --shard-index i`: actor j of shard i gets problems[i + N*j :: N*num_actors].
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from typing import Any

from mathdistill._optional import require
from mathdistill.io.lock import output_lock
from mathdistill.sampling.base import backend_class
from mathdistill.sampling.config import SampleConfig
from mathdistill.sampling.runner import out_dir, prepare_out_dir, resume_key
from mathdistill.store.combine import merge_shards
from mathdistill.store.samples import SHARDS, SamplesDir


class ShardWorker:
    """Body of a Ray actor: holds nothing between calls but the process (and its imports)."""

    def run(self, cfg: SampleConfig) -> dict[str, Any]:
        from mathdistill.sampling.runner import run_sampling

        return run_sampling(cfg)


def shard_configs(cfg: SampleConfig) -> list[SampleConfig]:
    out = Path(cfg.out)
    n = cfg.num_actors
    return [dataclasses.replace(cfg, out=str(out / SHARDS / f"shard-{j}"), ray=False, overwrite=False,
                                progress=False, num_shards=cfg.num_shards * n,
                                shard_index=cfg.shard_index + cfg.num_shards * j)
            for j in range(n)]


def _gpus_per_actor(cfg: SampleConfig, ray: Any) -> float:
    if not backend_class(cfg.backend).loads_local_weights or ray.cluster_resources().get("GPU", 0) < 1:
        return 0
    return cfg.vllm.tensor_parallel_size if cfg.backend == "vllm" else 1


def run_ray(cfg: SampleConfig) -> dict[str, Any]:
    # The driver holds DIR for the whole job (each actor locks its own shard folder).
    with output_lock(out_dir(cfg), "sample --ray"):
        return _run_ray(cfg)


def _run_ray(cfg: SampleConfig) -> dict[str, Any]:
    ray = require("ray", "ray")
    from mathdistill.config import save_resolved
    from mathdistill.runinfo import run_metadata

    out = prepare_out_dir(cfg)
    if not ray.is_initialized():
        env = {k: v for k, v in os.environ.items() if k.startswith(("MATHDISTILL_", "VLLM_", "HF_", "OPENAI_"))}
        ray.init(address=cfg.ray_address, include_dashboard=False, log_to_driver=True,
                 runtime_env={"env_vars": env} if env else None)
    shards = shard_configs(cfg)
    actor_cls = ray.remote(ShardWorker).options(num_cpus=1, num_gpus=_gpus_per_actor(cfg, ray))
    actors = [actor_cls.remote() for _ in shards]
    try:
        summaries = ray.get([a.run.remote(c) for a, c in zip(actors, shards, strict=True)])
    finally:
        for a in actors:
            ray.kill(a)
    n_samples, _ = merge_shards(out, [Path(c.out) for c in shards])
    meta = run_metadata(config=cfg, extra={"ray": {"num_actors": cfg.num_actors, "shards": [c.out for c in shards],
                                                   "summaries": summaries}, "resume_key": resume_key(cfg)})
    SamplesDir(out).write_run(meta)
    save_resolved(cfg, out)
    keys = ("problems", "samples", "correct", "problems_with_correct", "num_tokens", "generated_tokens")
    total = {k: sum(s[k] for s in summaries) for k in keys}
    total["acceptance_rate"] = total["correct"] / total["samples"] if total["samples"] else 0.0
    total["generate_seconds"] = max((s["generate_seconds"] for s in summaries), default=0.0)
    total["tokens_per_s"] = total["generated_tokens"] / total["generate_seconds"] if total["generate_seconds"] else 0.0
    total["out"] = str(out)
    total["merged_samples"] = n_samples
    return total
