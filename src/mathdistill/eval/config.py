"""EvalConfig: everything `mathdistill eval` needs, loadable from YAML with --set overrides."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from mathdistill.errors import ConfigError


@dataclass
class EvalConfig:
    model: str = "smollm2"  # alias, HF checkpoint dir, PEFT adapter dir or Hub id
    backend: str = "hf"  # hf | vllm | openai | fake (see mathdistill.sampling.BACKENDS)
    backend_kwargs: dict[str, Any] = field(default_factory=dict)  # passed to get_backend
    data: list[str] = field(default_factory=lambda: ["gsm8k"])  # sources or JSONL paths
    split: str = "test"
    limit: int | None = None
    data_dir: str | None = None
    template: str | None = None  # default: the source's default template
    n_shots: int = 0
    shots_from: str | None = None
    # Sampling (vLLM names).
    n: int = 16
    temperature: float = 0.7
    top_p: float = 1.0
    max_new_tokens: int = 1024
    seed: int = 0
    greedy: bool = True  # also run a temperature-0 pass for greedy accuracy
    batch_size: int = 16  # problems per generate() call; results are appended after each call
    # Voting.
    voting: str = "majority"  # majority | asc
    ranker: str | None = None  # scores JSONL, `module:callable`, or anything a registered loader accepts
    asc_weight: str = "s"  # s | 1+s | 1+2s | all
    # Grading and metrics.
    grade_workers: int = 2
    grade_timeout: float = 5.0
    max_subsets: int = 20_000  # exact maj@k up to this many k-subsets, Monte Carlo above
    mc_samples: int = 2_000
    n_boot: int = 1_000
    out: str = "runs/eval"

    def __post_init__(self) -> None:
        if self.voting not in ("majority", "asc"):
            raise ConfigError(f"voting must be 'majority' or 'asc', got '{self.voting}'")
        if self.voting == "asc" and not self.ranker:
            raise ConfigError("--voting asc needs --ranker PATH (a scores JSONL or a ranker)")
        if self.asc_weight not in ("s", "1+s", "1+2s", "all"):
            raise ConfigError(f"asc_weight must be one of s, 1+s, 1+2s, all; got '{self.asc_weight}'")
        if self.n < 1:
            raise ConfigError(f"n must be >= 1, got {self.n}")
        if self.limit is not None and self.limit < 1:
            raise ConfigError(f"limit must be >= 1, got {self.limit}")
        if self.batch_size < 1:
            raise ConfigError(f"batch_size must be >= 1, got {self.batch_size}")
        if not self.data:
            raise ConfigError("data: give at least one source (e.g. gsm8k,math500)")

    @property
    def asc_variants(self) -> list[str]:
        if self.voting != "asc":
            return []
        return ["s", "1+s", "1+2s"] if self.asc_weight == "all" else [self.asc_weight]
