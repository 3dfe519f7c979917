from dataclasses import dataclass, field

import pytest
import yaml

from mathdistill.config import (
    FieldProblems,
    check_fields,
    check_option,
    knob,
    load_config,
    parse_overrides,
    save_resolved,
)
from mathdistill.errors import ConfigError


@dataclass
class Inner:
    temperature: float = 0.7
    stop: list[str] = field(default_factory=list)


@dataclass
class Cfg:
    model: str = "smollm2"
    k: int = 4
    limit: int | None = None
    greedy: bool = False
    sampling: Inner = field(default_factory=Inner)

    def __post_init__(self):
        if self.k < 1:
            raise ValueError(f"k must be >= 1, got {self.k}")


def test_defaults():
    assert load_config(Cfg) == Cfg()


def test_precedence_yaml_set_cli(tmp_path):
    y = tmp_path / "c.yaml"
    y.write_text(yaml.safe_dump({"model": "from-yaml", "k": 2, "sampling": {"temperature": 0.1}}))
    cfg = load_config(Cfg, y, overrides=["k=3", "sampling.temperature=0.5", "sampling.stop=a,b"],
                      cli={"k": 9, "limit": None})
    assert cfg.model == "from-yaml"  # yaml over default
    assert cfg.sampling.temperature == 0.5  # --set over yaml
    assert cfg.sampling.stop == ["a", "b"]
    assert cfg.k == 9  # explicit CLI flag wins
    assert cfg.limit is None  # flags not given (None) do not override


def test_type_coercion_and_errors():
    assert load_config(Cfg, overrides=["greedy=true", "limit=5"]).limit == 5
    assert load_config(Cfg, overrides=["limit=none"]).limit is None
    with pytest.raises(ConfigError, match=r"k: expected an integer, got 'x'"):
        load_config(Cfg, overrides=["k=x"])
    with pytest.raises(ConfigError, match=r"unknown key 'sampling.temp'"):
        load_config(Cfg, overrides=["sampling.temp=1"])
    with pytest.raises(ConfigError, match="k must be >= 1"):
        load_config(Cfg, overrides=["k=0"])
    with pytest.raises(ConfigError, match="key.sub=value"):
        parse_overrides(["novalue"])


def test_all_errors_reported_together():
    with pytest.raises(ConfigError) as e:
        load_config(Cfg, overrides=["k=x", "nope=1"])
    assert "k:" in str(e.value) and "nope" in str(e.value)


def test_bad_yaml(tmp_path):
    y = tmp_path / "c.yaml"
    y.write_text("- a\n- b\n")
    with pytest.raises(ConfigError, match="top level must be a mapping"):
        load_config(Cfg, y)
    with pytest.raises(ConfigError, match="not found"):
        load_config(Cfg, tmp_path / "missing.yaml")


def test_save_resolved_roundtrip(tmp_path):
    cfg = load_config(Cfg, overrides=["k=7"])
    p = save_resolved(cfg, tmp_path)
    assert load_config(Cfg, p) == cfg


# --- values a knob accepts (issue 23: every option is checked before work starts)


@dataclass
class Group:
    workers: int = knob(2, "Processes.", ge=1)
    ratio: float = knob(0.5, "A fraction.", gt=0, le=1)

    def __post_init__(self):
        check_fields(self)


@dataclass
class Knobs:
    limit: int | None = knob(None, "First N.", ge=1)
    temperature: float = knob(0.7, "Temperature.", ge=0)
    mode: str = knob("a", "a | b.", choices=("a", "b"))
    names: list[str] = knob(factory=list, help="Each one of x, y.", choices=lambda: ["x", "y"])
    out: str = knob("", "Output folder.", folder=True)
    group: Group = knob(help="A nested group.", factory=Group)

    def __post_init__(self):
        check_fields(self)
        if self.mode == "b" and self.limit is None:
            raise ValueError("mode b needs a limit")


def test_knob_rules_refuse_bad_values_and_name_the_field(tmp_path):
    assert load_config(Knobs) == Knobs()
    assert load_config(Knobs, overrides=["limit=none", "names=x,y", "temperature=0"]).names == ["x", "y"]
    for override, msg in [("limit=0", "limit must be >= 1, got 0"), ("limit=-5", "limit must be >= 1, got -5"),
                          ("temperature=-1", "temperature must be >= 0, got -1.0"),
                          ("temperature=nan", "temperature must be >= 0, got nan"),
                          ("mode=c", "mode must be one of a, b; got 'c'"),
                          ("names=x,z", "names must be one of x, y; got 'z'"),
                          ("group.workers=0", "group.workers must be >= 1, got 0"),
                          ("group.ratio=0", "group.ratio must be in (0, 1], got 0.0"),
                          ("mode=b", "mode b needs a limit")]:
        with pytest.raises(ConfigError) as e:
            load_config(Knobs, overrides=[override])
        assert str(e.value) == msg
    (tmp_path / "f").write_text("")
    with pytest.raises(ConfigError, match=r"out must be a folder, but .*/f is a file"):
        load_config(Knobs, cli={"out": str(tmp_path / "f")})
    assert load_config(Knobs, cli={"out": str(tmp_path / "new")}).out.endswith("new")


def test_knob_rules_hold_for_code_too_and_report_every_field():
    with pytest.raises(FieldProblems) as e:
        Knobs(limit=0, temperature=-1)
    assert e.value.problems == [("limit", "must be >= 1, got 0"), ("temperature", "must be >= 0, got -1")]
    with pytest.raises(ConfigError, match="limit must be >= 1, got 0; temperature must be >= 0"):
        load_config(Knobs, overrides=["limit=0", "temperature=-1"])


def test_check_option_for_options_that_are_not_fields():
    check_option("--workers", 3, ge=1)
    check_option("--limit", None, ge=1)
    with pytest.raises(ConfigError, match=r"^--timeout must be > 0, got -1$"):
        check_option("--timeout", -1, gt=0)


def test_every_stage_config_checks_the_issue_23_options():
    from mathdistill.curation.config import CurateConfig
    from mathdistill.eval.config import EvalConfig
    from mathdistill.pipeline.config import ImportArgs, load_run_config
    from mathdistill.sampling.config import SampleConfig
    from mathdistill.training.config import TrainConfig

    bad = [(SampleConfig, "temperature=-1"), (SampleConfig, "top_p=0"), (SampleConfig, "limit=0"),
           (SampleConfig, "template=foo"), (SampleConfig, "hf.batch_size=0"), (SampleConfig, "grading_timeout_s=0"),
           (EvalConfig, "temperature=-1"), (EvalConfig, "top_p=0"), (EvalConfig, "grade_workers=0"),
           (EvalConfig, "grade_timeout=0"), (EvalConfig, "template=foo"), (EvalConfig, "limit=-5"),
           (TrainConfig, "lr_scheduler_type=foo"), (TrainConfig, "report_to=none,foo"), (TrainConfig, "template=foo"),
           (CurateConfig, "budget=-5"), (CurateConfig, "template=foo"), (CurateConfig, "formats=sft,nope"),
           (ImportArgs, "workers=0"), (ImportArgs, "timeout_s=-1"), (ImportArgs, "limit=-5")]
    for cls, override in bad:
        with pytest.raises(ConfigError, match=override.split("=")[0].split(".")[-1]):
            load_config(cls, overrides=[override])
    for override in ("eval.temperature=-1", "sample.top_p=0", "import_pool.workers=0", "data.test_limit=0",
                     "template=foo", "train.0.report_to=foo"):
        with pytest.raises(ConfigError, match=override.split("=")[0].replace("0.", "").split(".")[-1]):
            load_run_config(None, [override])


def test_training_choices_are_transformers_names():
    from mathdistill.training.config import LR_SCHEDULERS, REPORT_TO

    trainer_utils = pytest.importorskip("transformers.trainer_utils")
    assert set(LR_SCHEDULERS) <= {s.value for s in trainer_utils.SchedulerType}
    integrations = pytest.importorskip("transformers.integrations.integration_utils")
    assert set(REPORT_TO) - {"none", "all"} <= set(integrations.INTEGRATION_TO_CALLBACK)
