from dataclasses import dataclass, field

import pytest
import yaml

from mathdistill.config import load_config, parse_overrides, save_resolved
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
