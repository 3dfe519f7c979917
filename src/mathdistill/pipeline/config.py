"""RunConfig: one YAML for the whole job (teacher, student, data, sampling, curation, training, eval).

The stage configs are embedded whole (SampleConfig, CurateConfig, EvalConfig, and one
TrainConfig mapping per training step), so every option of every stage is available. A few
keys belong to the run and win over the stage's own: `teacher`/`student` (who is sampled /
trained / evaluated), `data` (what is sampled and what is evaluated), `backend`, `template`
(one prompt template for sampling, curation and eval, so the student is trained and tested
on the prompts it was sampled with) and each stage's output folder.

`--set` overrides use dots, and numbers index lists: `--set train.0.learning_rate=1e-4`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mathdistill.config import build, parse_overrides
from mathdistill.curation.config import CurateConfig
from mathdistill.errors import ConfigError
from mathdistill.eval.config import EvalConfig
from mathdistill.sampling.config import SampleConfig

STEP_KEYS = ("name", "eval")  # keys of a train step that are not TrainConfig fields
# Methods whose output is a generator worth evaluating by default (neg is TDG's negative
# adapter, only an ingredient of NAT; the ranker is an encoder).
NOT_EVALUATED = ("neg", "ranker")


@dataclass
class DataArgs:
    train: str = "gsm8k"  # source sampled for training data (any source name or JSONL path)
    train_split: str = "train"
    train_limit: int | None = None
    test: list[str] = field(default_factory=lambda: ["gsm8k"])  # evaluated before and after training
    test_split: str = "test"
    test_limit: int | None = None
    data_dir: str | None = None


@dataclass
class ImportArgs:
    """Released teacher samples instead of sampling round 1 (`mathdistill import tdg|pool`)."""

    path: str = ""  # empty: sample the teacher
    kind: str = "tdg"  # tdg | pool
    limit: int | None = None
    workers: int = 2
    timeout_s: float = 5.0
    mapping: dict[str, Any] = field(default_factory=dict)  # PoolMapping fields for kind=pool

    def __post_init__(self) -> None:
        if self.kind not in ("tdg", "pool"):
            raise ConfigError(f"import_pool.kind must be tdg or pool, got '{self.kind}'")


@dataclass
class RunConfig:
    out: str = ""  # the run directory (also `mathdistill run --out`)
    teacher: str = "smollm2"
    student: str = "smollm2"
    backend: str | None = None  # sample + eval backend (vllm | hf | openai | fake | auto); None: each stage's own
    template: str | None = None  # prompt template for every stage (default: the training source's)
    data: DataArgs = field(default_factory=DataArgs)
    import_pool: ImportArgs = field(default_factory=ImportArgs)
    rounds: int = 1  # iterative RFT: round r > 1 samples the student trained in round r-1
    round_model: str | None = None  # train step whose model samples the next round (default: first evaluated)
    sample: SampleConfig = field(default_factory=SampleConfig)
    curate: CurateConfig = field(default_factory=CurateConfig)
    train: list[dict[str, Any]] = field(default_factory=lambda: [{"method": "sft"}])
    train_defaults: dict[str, Any] = field(default_factory=dict)  # merged under every train step
    eval: EvalConfig = field(default_factory=EvalConfig)
    eval_base: bool = True  # evaluate the untrained student with the same settings
    summary_metric: str = "greedy"  # metric compared before/after (greedy, mean@n, maj@k, ...)
    n_boot: int = 2000  # paired bootstrap resamples for the significance of a difference
    report: bool = True
    eta: dict[str, float] = field(default_factory=dict)  # rough seconds per stage kind, for the overall ETA
    progress: bool = True

    def __post_init__(self) -> None:
        if self.rounds < 1:
            raise ConfigError(f"rounds must be >= 1, got {self.rounds}")
        if self.rounds > 1 and self.import_pool.path:
            raise ConfigError("rounds > 1 samples the trained student; it cannot start from import_pool alone "
                              "(round 1 is the import, later rounds sample) -- set rounds: 1 or drop import_pool")
        if self.rounds > 1 and self.curate.fail_rate_from == "stats":
            raise ConfigError("curate.fail_rate_from=stats cannot combine rounds; use 'samples'")
        if not self.train and self.rounds > 1:
            raise ConfigError("rounds > 1 needs a train step")
        names = []
        for i, step in enumerate(self.train):
            names.append(step_name(step, i, names))
        if self.round_model is not None and self.round_model not in names:
            raise ConfigError(f"round_model '{self.round_model}' is not a train step (steps: {', '.join(names)})")
        for i, step in enumerate(self.train):
            validate_step(self, step, i)


def step_name(step: Any, i: int, taken: list[str]) -> str:
    if not isinstance(step, dict) or "method" not in step:
        raise ConfigError(f"train[{i}]: each training step is a mapping with a 'method' (e.g. {{method: sft}})")
    name = str(step.get("name") or step["method"])
    if not name.replace("_", "").isalnum():
        raise ConfigError(f"train[{i}].name '{name}': use letters, digits and '_' (it names a folder)")
    base, j = name, 2
    while name in taken:
        if step.get("name"):
            raise ConfigError(f"train[{i}].name '{name}' is used twice")
        name, j = f"{base}{j}", j + 1
    return name


def validate_step(cfg: RunConfig, step: dict, i: int) -> None:
    """Build the step's TrainConfig with stand-in paths, so bad keys fail at load time."""
    from mathdistill.training.config import TrainConfig

    d = {**cfg.train_defaults, **{k: v for k, v in step.items() if k not in STEP_KEYS}}
    d.setdefault("output_dir", "RUN/train")
    try:
        build(TrainConfig, d, prefix=f"train[{i}].")
    except ConfigError as e:
        raise ConfigError(f"train[{i}] ({step['method']}): {e}") from None


def _merge(base: Any, extra: Any) -> Any:
    """Deep merge where a mapping with integer keys updates a list by index."""
    if isinstance(base, dict) and isinstance(extra, dict):
        out = dict(base)
        for k, v in extra.items():
            out[k] = _merge(out[k], v) if k in out else v
        return out
    if isinstance(base, list) and isinstance(extra, dict) and all(str(k).isdigit() for k in extra):
        out_l = list(base)
        for k, v in extra.items():
            j = int(k)
            if j >= len(out_l):
                raise ConfigError(f"override index {j} is past the end of a list of {len(out_l)}")
            out_l[j] = _merge(out_l[j], v)
        return out_l
    return extra


def load_run_config(path: str | Path | None = None, overrides: list[str] | None = None,
                    cli: dict[str, Any] | None = None, base: dict[str, Any] | None = None) -> RunConfig:
    """defaults < `base` < YAML < --set < cli flags (only flags given)."""
    from mathdistill.config import read_yaml_mapping

    # The default step list is spelled out so `--set train.0.x=...` has a list to index.
    data: dict[str, Any] = {"train": [{"method": "sft"}], **(base or {})}
    if path:
        data = _merge(data, read_yaml_mapping(path))
    data = _merge(data, parse_overrides(overrides))
    data = _merge(data, {k: v for k, v in (cli or {}).items() if v is not None})
    try:
        return build(RunConfig, data)
    except ConfigError as e:
        raise ConfigError(f"{path}: {e}" if path else str(e)) from None
