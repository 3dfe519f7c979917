"""`SampleConfig`: everything `mathdistill sample` needs, loadable with `load_config`.

Backend-specific knobs live in nested groups named after the library they feed
(`--set vllm.tensor_parallel_size=2`, `--set openai.base_url=...`); anything else a
backend accepts goes through `backend_options` (a JSON mapping).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from mathdistill.config import check_fields, knob
from mathdistill.errors import ConfigError


def template_names() -> list[str]:
    """The prompt templates a `template` knob accepts (read when a value is checked: the prompts module
    is not imported for `--help`)."""
    from mathdistill.data.prompts import TEMPLATES

    return list(TEMPLATES)


def reasoning_names() -> list[str]:
    """What a `reasoning` knob accepts: auto, none or a model family (`models.families`)."""
    from mathdistill.models.families import CHOICES

    return list(CHOICES)


REASONING_HELP = ("How outputs are cut into reasoning and answer: auto (from the model's name and chat template) | "
                  "none | a family: deepseek-r1 | qwen3 | qwq | gpt-oss | think (docs/longcot.md).")


@dataclass
class VLLMOptions:
    tensor_parallel_size: int = knob(1, "vLLM tensor parallel size.", flags="--tensor-parallel-size", ge=1)
    data_parallel_size: int = knob(1, "vLLM data parallel size.", flags="--data-parallel-size", ge=1)
    gpu_memory_utilization: float = knob(0.9, "vLLM GPU memory fraction.", flags="--gpu-memory-utilization",
                                         gt=0, le=1)
    dtype: str = knob("auto", "vLLM weight dtype (auto | bfloat16 | float16 | float32).")
    max_model_len: int | None = knob(None, "vLLM max model length (default: the model's).", flags="--max-model-len",
                                     ge=1)
    enforce_eager: bool = knob(False, "vLLM: no CUDA graphs (slower, starts faster).")
    cpu_kvcache_space_gib: int = knob(2, "vLLM on CPU: KV cache GiB (VLLM_CPU_KVCACHE_SPACE when unset).", ge=1)

    def __post_init__(self) -> None:
        check_fields(self)


@dataclass
class HFOptions:
    batch_size: int = knob(8, "hf: prompts per generate call (each expands to n sequences).", ge=1)
    dtype: str = knob("auto", "hf: weight dtype (auto | bfloat16 | float16 | float32).")
    device: str | None = knob(None, "hf: cpu | cuda (default: cuda if available, else cpu).")

    def __post_init__(self) -> None:
        check_fields(self)


@dataclass
class OpenAIOptions:
    base_url: str | None = knob(None, "openai: server URL, e.g. http://127.0.0.1:8000/v1 (default: $OPENAI_BASE_URL, "
                                      "else api.openai.com).", flags="--base-url")
    api_key_env: str = knob("OPENAI_API_KEY", "openai: env var holding the API key.", flags="--api-key-env")
    api: Literal["auto", "chat", "completions"] = knob("auto", "openai: auto | chat | completions endpoint.")
    concurrency: int = knob(16, "openai: concurrent requests.", flags="--concurrency")
    max_retries: int = knob(6, "openai: retries of a failed request.")
    backoff_base_s: float = knob(0.5, "openai: first retry delay (s), doubled per retry.")
    backoff_max_s: float = knob(30.0, "openai: longest retry delay (s).")
    timeout_s: float = knob(600.0, "openai: request timeout (s).")

    def __post_init__(self) -> None:
        import dataclasses

        from mathdistill.sampling.backends.openai_backend import OpenAIBackend

        OpenAIBackend.check_options(dataclasses.asdict(self))


@dataclass
class SampleConfig:
    # problems
    data: str = knob("gsm8k", "Source (gsm8k, math, ...) or a JSONL path.")
    split: str = knob("train", "Split to sample.")
    limit: int | None = knob(None, "Use only the first N problems.", ge=1)
    data_dir: str | None = knob(None, "Folder with local dataset files (default: $MATHDISTILL_DATA, else the HF Hub).")
    question_field: str | None = knob(None, "JSONL field of the question.")
    answer_field: str | None = knob(None, "JSONL field of the gold answer.")
    id_field: str | None = knob(None, "JSONL field of the problem id.")
    # prompt
    template: str | None = knob(None, "Prompt template (default: the source's).", choices=template_names)
    n_shots: int = knob(0, "Few-shot exemplars from the train split.", ge=0)
    shots_from: str | None = knob(None, "Exemplar source for a JSONL --data.")
    # teacher
    model: str = knob("smollm2", "Teacher: 'smollm2', a local dir, an HF id or an API model name.")
    backend: str = knob("vllm", "vllm | hf | openai | fake.")
    teacher_name: str | None = knob(None, "Name recorded as `teacher` in every sample (default: --model).")
    reasoning: str = knob("auto", REASONING_HELP, choices=reasoning_names)
    # strategy
    strategy: Literal["vanilla", "uniform", "prop2diff"] = knob(
        "vanilla", "vanilla (RFT) | uniform (DARS-Uniform) | prop2diff.")
    k: int = knob(4, "vanilla: samples per problem.", ge=1)
    k_correct: int = knob(4, "uniform: correct samples wanted per problem.", ge=1)
    k_max: int = knob(8, "prop2diff: correct samples for the hardest problems.", ge=1)
    max_trials: int = knob(64, "uniform/prop2diff: cap on samples per problem.", ge=1)
    first_pass_k: int = knob(8, "prop2diff: first-pass samples per problem to estimate fail rates.", ge=1)
    fail_rates: str | None = knob(None, "prop2diff: a previous run's stats.jsonl (pass_rate).")
    # sampling
    temperature: float = knob(0.7, "Sampling temperature.", ge=0, le=10)
    top_p: float = knob(1.0, "Nucleus sampling top_p.", gt=0, le=1)
    max_new_tokens: int = knob(1024, "Max tokens per response.", ge=1)
    seed: int = knob(0, "Base seed; per-request seeds derive from it.")
    logprobs: int = knob(0, "Keep the teacher's top-K token log-probs of every generated token beside the "
                            "samples (store.logprobs; for train --method kd), 0: none.", ge=0)
    # execution
    out: str = knob("", "Output directory (resumed if it exists).", folder=True)
    overwrite: bool = knob(False, "Delete previous outputs in --out first.", flags="--overwrite")
    batch_requests: int = knob(256, "Requests (problems x rounds) per generate/grade/append step.", ge=1)
    num_shards: int = knob(1, "Split problems into N shards (cluster jobs).", ge=1)
    shard_index: int = knob(0, "Which shard this job runs (0-based).")
    ray: bool = knob(False, "Spread shards over Ray actors and merge.", flags="--ray")
    num_actors: int = knob(2, "Ray actors (one engine each).", ge=1)
    ray_address: str | None = knob(None, "Ray cluster address (default: start a local one).")
    grading_workers: int = knob(2, "Grading processes.", ge=1)
    grading_timeout_s: float = knob(5.0, "Grading timeout per sample (s).", gt=0)
    progress: bool = knob(True, "Show a progress bar.")
    vllm: VLLMOptions = knob(help="vLLM engine options (backend vllm).", factory=VLLMOptions)
    hf: HFOptions = knob(help="transformers generate options (backend hf).", factory=HFOptions)
    openai: OpenAIOptions = knob(help="OpenAI-compatible API options (backend openai).", factory=OpenAIOptions)
    backend_options: dict[str, Any] = knob(help="Anything else the backend accepts (a JSON mapping).", factory=dict)

    def __post_init__(self) -> None:
        check_fields(self)
        if not 0 <= self.shard_index < self.num_shards:
            raise ConfigError(f"shard_index must be in [0, {self.num_shards}), got {self.shard_index}")
        if self.logprobs and self.ray:
            raise ConfigError("--logprobs with --ray: merging shards does not carry their token log-probs; "
                              "sample without --ray")

    def backend_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for `get_backend(self.backend, model, **kw)`."""
        import dataclasses

        group = {"vllm": self.vllm, "hf": self.hf, "openai": self.openai}.get(self.backend)
        kw = dataclasses.asdict(group) if group is not None else {}
        kw.update(self.backend_options)
        return engine_kwargs(self.backend, kw, self.seed)


def engine_kwargs(backend: str, kwargs: dict[str, Any], seed: int) -> dict[str, Any]:
    """`kwargs` for `get_backend(backend, ...)`, with the run's seed as the engine seed of a local engine
    (hf, vllm) unless `kwargs` names one: on vLLM-CPU the engine seed is the only sampling seed."""
    from mathdistill.sampling.base import BACKENDS, backend_class

    if backend in BACKENDS and backend_class(backend).loads_local_weights and "seed" not in kwargs:
        return {**kwargs, "seed": seed}
    return dict(kwargs)
