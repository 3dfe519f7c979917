"""RunConfig: one YAML for the whole job (teacher, student, data, sampling, curation, training, eval).

The stage configs are embedded whole (SampleConfig, CurateConfig, EvalConfig, and one
TrainConfig mapping per training step), so every option of every stage is available. A few
keys belong to the run and win over the stage's own: `teacher`/`student` (who is sampled /
trained / evaluated), `data` (what is sampled and what is evaluated), `backend`, `template`
(one prompt template for sampling, curation, training and eval, so the student is trained and
tested on the prompts it was sampled with; `teacher_template` samples the teacher with another,
as DART-Math does) and each stage's output folder. `student_samples` samples a trained student
on the training split and curates from it (TDG's ranker data).

`--set` overrides use dots, and numbers index lists: `--set train.0.learning_rate=1e-4`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mathdistill.config import build, check_fields, knob, parse_overrides
from mathdistill.curation.config import CurateConfig
from mathdistill.errors import ConfigError
from mathdistill.eval.config import EvalConfig
from mathdistill.sampling.config import SampleConfig, template_names

STEP_KEYS = ("name", "eval")  # keys of a train step that are not TrainConfig fields


@dataclass
class DataArgs:
    train: str = knob("gsm8k", "Source sampled for training data (any source name or JSONL path).")
    train_split: str = knob("train", "Split of the training source.")
    train_limit: int | None = knob(None, "First N training problems.", ge=1)
    test: list[str] = knob(factory=lambda: ["gsm8k"], help="Benchmarks evaluated before and after training.")
    test_split: str = knob("test", "Split of the benchmarks.")
    test_limit: int | None = knob(None, "First N problems of each benchmark.", ge=1)
    data_dir: str | None = knob(None, "Folder with local dataset files (default: $MATHDISTILL_DATA, else the HF "
                                      "Hub).")

    def __post_init__(self) -> None:
        check_fields(self)


@dataclass
class ImportArgs:
    """Released teacher samples instead of sampling round 1 (`mathdistill import tdg|pool`)."""

    path: str = knob("", "Released teacher file to import (empty: sample the teacher).")
    kind: str = knob("tdg", "tdg | pool.", choices=("tdg", "pool"))
    limit: int | None = knob(None, "Only the first N problems.", ge=1)
    workers: int = knob(2, "Grading worker processes.", ge=1)
    timeout_s: float = knob(5.0, "Grading timeout per sample (s).", gt=0)
    mapping: dict[str, Any] = knob(help="PoolMapping fields for kind=pool.", factory=dict)

    def __post_init__(self) -> None:
        check_fields(self)


@dataclass
class StudentSamplesArgs:
    """A trained student sampled on the training split and curated (TDG: the ranker's groups come from
    the NAT student's 16 samples per MATH train problem, methods.md 3.6)."""

    step: str | None = knob(None, "Train step whose model is sampled (e.g. nat); unset: no such stages.")
    sample: dict[str, Any] = knob(help="Changes to the run's `sample:` config for it (k, temperature, ...).",
                                  factory=dict)
    curate: dict[str, Any] = knob(help="Changes to the run's `curate:` config for it (include_reference, "
                                       "formats, ...).", factory=dict)


@dataclass
class RunConfig:
    out: str = knob("", "Run directory (default: `out:` of the config).", folder=True)
    teacher: str = knob("smollm2", "Model sampled in round 1.")
    student: str = knob("smollm2", "Model trained and evaluated.")
    backend: str | None = knob(None, "Sample + eval backend: vllm | hf | openai | fake | auto (default: each "
                                     "stage's own).")
    template: str | None = knob(None, "Prompt template of every stage (default: the training source's).",
                                choices=template_names)
    teacher_template: str | None = knob(None, "Template the teacher is sampled with when it is not `template` "
                                             "(DART: deepseekmath to sample, alpaca to train and evaluate).",
                                       choices=template_names)
    data: DataArgs = knob(help="What is sampled and what is evaluated.", factory=DataArgs)
    import_pool: ImportArgs = knob(help="Released teacher samples instead of sampling round 1.", factory=ImportArgs)
    rounds: int = knob(1, "Iterative RFT: round r > 1 samples the student trained in round r-1.", ge=1)
    round_model: str | None = knob(None, "Train step whose model samples the next round (default: the first "
                                         "evaluated).")
    student_samples: StudentSamplesArgs = knob(help="Sample a trained student on the training split and curate "
                                                    "it (stages sample_student, curate_student; placeholders "
                                                    "{sample_student}, {curate_student}).",
                                               factory=StudentSamplesArgs)
    sample: SampleConfig = knob(help="The sample stage's config.", factory=SampleConfig)
    curate: CurateConfig = knob(help="The curate stage's config.", factory=CurateConfig)
    train: list[dict[str, Any]] = knob(factory=lambda: [{"method": "sft"}], help="Training steps, each a TrainConfig "
                                       "mapping with a method (and optional name, eval).")
    train_defaults: dict[str, Any] = knob(help="Merged under every train step.", factory=dict)
    eval: EvalConfig = knob(help="The eval stages' config.", factory=EvalConfig)
    eval_base: bool = knob(True, "Evaluate the untrained student with the same settings.")
    summary_metric: str = knob("greedy", "Metric compared before/after (greedy, mean@n, maj@k, ...).")
    compare_to: list[str] = knob(factory=list, help="Train steps every other evaluated model is also compared with "
                                 "(paired bootstrap), besides the base student: e.g. [sft] to test KD against RFT.")
    n_boot: int = knob(2000, "Paired bootstrap resamples for the significance of a difference.", ge=1)
    report: bool = knob(True, "Write report.html.")
    eta: dict[str, float] = knob(help="Rough seconds per stage kind, for the overall ETA.", factory=dict)
    progress: bool = knob(True, "Progress bars.")

    def __post_init__(self) -> None:
        check_fields(self)
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
        for ref in self.compare_to:
            if ref != "base" and ref not in names:
                raise ConfigError(f"compare_to '{ref}' is not a train step (steps: {', '.join(names)})")
        if self.round_model is not None and self.round_model not in names:
            raise ConfigError(f"round_model '{self.round_model}' is not a train step (steps: {', '.join(names)})")
        if self.student_samples.step is not None and self.student_samples.step not in names:
            raise ConfigError(f"student_samples.step '{self.student_samples.step}' is not a train step "
                              f"(steps: {', '.join(names)})")
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


def _recipe_path(path: str | Path) -> Path:
    """A file, else the name of a shipped recipe (`mathdistill recipes list`)."""
    from mathdistill.pipeline.recipes import find_recipe

    p = Path(path)
    if p.exists():
        return p
    found = find_recipe(str(path))
    return found if found is not None else p


def load_run_config(path: str | Path | None = None, overrides: list[str] | None = None,
                    cli: dict[str, Any] | None = None, base: dict[str, Any] | None = None) -> RunConfig:
    """defaults < `base` < YAML < --set < cli flags (only flags given)."""
    from mathdistill.config import read_yaml_mapping

    # The default step list is spelled out so `--set train.0.x=...` has a list to index.
    data: dict[str, Any] = {"train": [{"method": "sft"}], **(base or {})}
    if path:
        data = _merge(data, read_yaml_mapping(_recipe_path(path)))
    data = _merge(data, parse_overrides(overrides))
    data = _merge(data, {k: v for k, v in (cli or {}).items() if v is not None})
    try:
        return build(RunConfig, data)
    except ConfigError as e:
        raise ConfigError(f"{path}: {e}" if path else str(e)) from None
