"""EvalConfig: everything `mathdistill eval` needs, loadable from YAML with --set overrides."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mathdistill.config import knob
from mathdistill.errors import ConfigError
from mathdistill.sampling.config import engine_kwargs


@dataclass
class EvalConfig:
    model: str = knob("smollm2", "'smollm2', an HF checkpoint dir, a PEFT adapter dir or a Hub id.")
    backend: str = knob("hf", "hf | vllm | openai (fake: tests).")
    backend_kwargs: dict[str, Any] = knob(
        help="Options passed to the backend (a JSON mapping); hf/vllm engines take `seed` from `seed` unless "
             "given here.", factory=dict)
    data: list[str] = knob(factory=lambda: ["gsm8k"], help="Comma-separated sources/JSONL paths, e.g. "
                                                           "gsm8k,math500,svamp.")
    split: str = knob("test", "Split.")
    limit: int | None = knob(None, "First N problems of each dataset.")
    data_dir: str | None = knob(None, "Folder with local dataset files (default: $MATHDISTILL_DATA, else the HF Hub).")
    template: str | None = knob(None, "Prompt template (default: the source's).")
    n_shots: int = knob(0, "Few-shot exemplars.")
    shots_from: str | None = knob(None, "Exemplar source for a JSONL --data.")
    # Sampling (vLLM names).
    n: int = knob(16, "Samples per problem for mean@n/pass@k/maj@k.")
    temperature: float = knob(0.7, "Sampling temperature.")
    top_p: float = knob(1.0, "Nucleus sampling p.")
    max_new_tokens: int = knob(1024, "Max new tokens per completion.")
    seed: int = knob(0, "Sampling / bootstrap seed (and the hf/vllm engine seed).")
    greedy: bool = knob(True, "Also run a temperature-0 pass (greedy accuracy).")
    batch_size: int = knob(16, "Problems per backend call (results saved after each).")
    # Voting.
    voting: str = knob("majority", "majority | asc (ASC-weighted, needs --ranker).")
    ranker: str | None = knob(None, "Scores JSONL {problem_id,sample_idx,score}, `module:callable`, or anything "
                                    "a registered ranker loader accepts.")
    asc_weight: str = knob("s", "ASC vote weight: s | 1+s | 1+2s | all.")
    # Grading and metrics.
    grade_workers: int = knob(2, "Grading processes.")
    grade_timeout: float = knob(5.0, "Grading timeout per answer comparison (s).")
    max_subsets: int = knob(20_000, "Exact maj@k up to this many k-subsets, Monte Carlo above.")
    mc_samples: int = knob(2_000, "Monte Carlo k-subsets above --max-subsets.")
    n_boot: int = knob(1_000, "Bootstrap resamples for the 95% CIs.")
    out: str = knob("runs/eval", "Output folder.")

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

    def engine_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for `get_backend(self.backend, model, **kw)`."""
        return engine_kwargs(self.backend, self.backend_kwargs, self.seed)

    @property
    def asc_variants(self) -> list[str]:
        if self.voting != "asc":
            return []
        return ["s", "1+s", "1+2s"] if self.asc_weight == "all" else [self.asc_weight]
