"""EvalConfig: everything `mathdistill eval` needs, loadable from YAML with --set overrides."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from mathdistill.config import check_fields, knob
from mathdistill.errors import ConfigError
from mathdistill.sampling.config import REASONING_HELP, engine_kwargs, reasoning_names, template_names

if TYPE_CHECKING:
    from mathdistill.data.registry import DataSpec


def preset_names() -> list[str]:
    """What `preset` accepts: longcot, or a family whose recommended sampling to use."""
    from mathdistill.models.families import sampling_preset_names

    return sampling_preset_names()


def suite_names() -> list[str]:
    """The suites a `suite` knob accepts (read when a value is checked: the registry is not imported
    for `--help`)."""
    from mathdistill.data.benchmarks import SUITES

    return list(SUITES)


@dataclass
class EvalConfig:
    model: str = knob("smollm2", "'smollm2', an HF checkpoint dir, a PEFT adapter dir or a Hub id.")
    backend: str = knob("hf", "hf | vllm | openai (fake: tests).")
    backend_kwargs: dict[str, Any] = knob(
        help="Options passed to the backend (a JSON mapping); hf/vllm engines take `seed` from `seed` unless "
             "given here.", factory=dict)
    data: list[str] = knob(factory=lambda: ["gsm8k"], help="Comma-separated sources/JSONL paths, each with an "
                           "optional :N samples per problem (default --n), e.g. gsm8k,math500:4,aime25:64.")
    suite: str | None = knob(None, "A named set of benchmarks with their usual n (replaces --data): "
                                   "reasoning | dart (`mathdistill data list`).", choices=suite_names)
    split: str = knob("test", "Split.")
    limit: int | None = knob(None, "First N problems of each dataset.", ge=1)
    data_dir: str | None = knob(None, "Folder with local dataset files (default: $MATHDISTILL_DATA, else the HF Hub).")
    template: str | None = knob(None, "Prompt template (default: the source's).", choices=template_names)
    n_shots: int = knob(0, "Few-shot exemplars.", ge=0)
    shots_from: str | None = knob(None, "Exemplar source for a JSONL --data.")
    reasoning: str = knob("auto", REASONING_HELP, choices=reasoning_names)
    preset: str | None = knob(None, "Long generation: longcot (DeepSeek-R1's T 0.6, top_p 0.95, 32768 new tokens, "
                                    "no greedy pass) or a family's recommended sampling (qwen3, gpt-oss, ...), for "
                                    "the sampling fields left at their defaults.", choices=preset_names)
    # Sampling (vLLM names).
    n: int = knob(16, "Samples per problem for mean@n/pass@k/maj@k.", ge=1)
    temperature: float = knob(0.7, "Sampling temperature.", ge=0, le=10)
    top_p: float = knob(1.0, "Nucleus sampling p.", gt=0, le=1)
    max_new_tokens: int = knob(1024, "Max new tokens per completion.", ge=1)
    seed: int = knob(0, "Sampling / bootstrap seed (and the hf/vllm engine seed).")
    greedy: bool = knob(True, "Also run a temperature-0 pass (greedy accuracy).")
    batch_size: int = knob(16, "Problems per backend call (results saved after each).", ge=1)
    # Voting.
    voting: str = knob("majority", "majority | asc (ASC-weighted, needs --ranker).", choices=("majority", "asc"))
    ranker: str | None = knob(None, "Scores JSONL {problem_id,sample_idx,score}, `module:callable`, or anything "
                                    "a registered ranker loader accepts.")
    asc_weight: str = knob("s", "ASC vote weight: s | 1+s | 1+2s | all.", choices=("s", "1+s", "1+2s", "all"))
    # Grading and metrics.
    grade_workers: int = knob(2, "Grading processes.", ge=1)
    grade_timeout: float = knob(5.0, "Grading timeout per answer comparison (s).", gt=0)
    max_subsets: int = knob(20_000, "Exact maj@k up to this many k-subsets, Monte Carlo above.", ge=1)
    mc_samples: int = knob(2_000, "Monte Carlo k-subsets above --max-subsets.", ge=1)
    n_boot: int = knob(1_000, "Bootstrap resamples for the 95% CIs.", ge=1)
    # Experiment trackers (eval.trackers).
    report_to: list[str] = knob(factory=lambda: ["none"], help="none | tensorboard | trackio | wandb (comma-separated): "
                                "where the metrics also go; all work offline.",
                                choices=("none", "tensorboard", "trackio", "wandb"))
    run_name: str | None = knob(None, "Run name in the trackers (default: the output folder's name).")
    out: str = knob("runs/eval", "Output folder.", folder=True)

    def __post_init__(self) -> None:
        check_fields(self)
        if self.preset:
            self._apply_preset()
        if self.voting == "asc" and not self.ranker:
            raise ConfigError("--voting asc needs --ranker PATH (a scores JSONL or a ranker)")
        if not self.data and not self.suite:
            raise ConfigError("data: give at least one source (e.g. gsm8k,math500)")
        self.data_specs  # noqa: B018 - `aime25:0`, `aime25:abc` are refused before any work

    @property
    def data_specs(self) -> list[DataSpec]:
        """The datasets to evaluate, each with its samples per problem (None: `n`): the suite's when
        one is named, else `data`'s."""
        from mathdistill.data.benchmarks import suite_specs
        from mathdistill.data.registry import parse_data_spec
        from mathdistill.data.sources import SOURCES, is_local_file
        from mathdistill.errors import MathdistillError

        items = suite_specs(self.suite) if self.suite else self.data
        try:
            specs = [parse_data_spec(x, is_path=is_local_file) for x in items]
            for d in specs:
                if not is_local_file(d.source) and d.source not in SOURCES:
                    raise SOURCES.unknown(d.source)
        except MathdistillError as e:
            raise ConfigError(f"data: {e}") from None
        return specs

    def _apply_preset(self) -> None:
        """The preset's values for the fields still at their defaults: a value given explicitly wins
        unless it equals the default (indistinguishable from not given)."""
        import dataclasses

        from mathdistill.models.families import sampling_preset

        defaults = {f.name: f.default for f in dataclasses.fields(self)}
        for k, v in sampling_preset(self.preset).items():
            if getattr(self, k) == defaults[k]:
                setattr(self, k, v)

    def n_for(self, spec: DataSpec) -> int:
        return spec.n if spec.n is not None else self.n

    def engine_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for `get_backend(self.backend, model, **kw)`."""
        return engine_kwargs(self.backend, self.backend_kwargs, self.seed)

    @property
    def asc_variants(self) -> list[str]:
        if self.voting != "asc":
            return []
        return ["s", "1+s", "1+2s"] if self.asc_weight == "all" else [self.asc_weight]
