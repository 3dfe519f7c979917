"""`SampleConfig`: everything `mathdistill sample` needs, loadable with `load_config`.

Backend-specific knobs live in nested groups named after the library they feed
(`--set vllm.tensor_parallel_size=2`, `--set openai.base_url=...`); anything else a
backend accepts goes through `backend_options` (a JSON mapping).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from mathdistill.errors import ConfigError


@dataclass
class VLLMOptions:
    tensor_parallel_size: int = 1
    data_parallel_size: int = 1
    gpu_memory_utilization: float = 0.9
    dtype: str = "auto"
    max_model_len: int | None = None
    enforce_eager: bool = False
    cpu_kvcache_space_gib: int = 2  # VLLM_CPU_KVCACHE_SPACE when on CPU and the user did not set it


@dataclass
class HFOptions:
    batch_size: int = 8  # prompts per `generate` call (each expands to n sequences)
    dtype: str = "auto"
    device: str | None = None  # default: cuda if available, else cpu


@dataclass
class OpenAIOptions:
    base_url: str | None = None  # default: $OPENAI_BASE_URL, else api.openai.com
    api_key_env: str = "OPENAI_API_KEY"
    api: Literal["auto", "chat", "completions"] = "auto"
    concurrency: int = 16
    max_retries: int = 6
    backoff_base_s: float = 0.5
    backoff_max_s: float = 30.0
    timeout_s: float = 600.0


@dataclass
class SampleConfig:
    # problems
    data: str = "gsm8k"
    split: str = "train"
    limit: int | None = None
    data_dir: str | None = None
    question_field: str | None = None
    answer_field: str | None = None
    id_field: str | None = None
    # prompt
    template: str | None = None  # default: the source's default template
    n_shots: int = 0
    shots_from: str | None = None
    # teacher
    model: str = "smollm2"
    backend: str = "vllm"
    teacher_name: str | None = None  # recorded in samples' `teacher` (default: the model name)
    # strategy
    strategy: Literal["vanilla", "uniform", "prop2diff"] = "vanilla"
    k: int = 4  # vanilla: samples per problem
    k_correct: int = 4  # uniform: correct samples wanted per problem
    k_max: int = 8  # prop2diff: target for the hardest problems
    max_trials: int = 64  # uniform/prop2diff: cap on samples per problem
    first_pass_k: int = 8  # prop2diff: samples per problem to estimate the fail rate
    fail_rates: str | None = None  # prop2diff: a previous run's stats.jsonl (pass_rate field)
    # sampling
    temperature: float = 0.7
    top_p: float = 1.0
    max_new_tokens: int = 1024
    seed: int = 0
    # execution
    out: str = ""
    overwrite: bool = False
    batch_requests: int = 256  # requests (problems x rounds) per generate-grade-append step
    num_shards: int = 1
    shard_index: int = 0
    ray: bool = False
    num_actors: int = 2
    ray_address: str | None = None
    grading_workers: int = 2
    grading_timeout_s: float = 5.0
    progress: bool = True
    vllm: VLLMOptions = field(default_factory=VLLMOptions)
    hf: HFOptions = field(default_factory=HFOptions)
    openai: OpenAIOptions = field(default_factory=OpenAIOptions)
    backend_options: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name in ("k", "k_correct", "k_max", "max_trials", "first_pass_k", "max_new_tokens",
                     "batch_requests", "num_shards", "num_actors", "grading_workers"):
            if getattr(self, name) < 1:
                raise ConfigError(f"{name} must be >= 1, got {getattr(self, name)}")
        if not 0 <= self.shard_index < self.num_shards:
            raise ConfigError(f"shard_index must be in [0, {self.num_shards}), got {self.shard_index}")
        if self.n_shots < 0:
            raise ConfigError(f"n_shots must be >= 0, got {self.n_shots}")

    def backend_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for `get_backend(self.backend, model, **kw)`."""
        import dataclasses

        group = {"vllm": self.vllm, "hf": self.hf, "openai": self.openai}.get(self.backend)
        kw = dataclasses.asdict(group) if group is not None else {}
        kw.update(self.backend_options)
        if self.backend in ("vllm", "hf"):
            kw.setdefault("seed", self.seed)
        return kw
