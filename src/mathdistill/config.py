"""Dataclass configs loadable from YAML with dotted overrides.

Precedence: dataclass defaults < YAML (`--config`) < `--set a.b=c` overrides < explicit CLI flags.
Unknown keys and type mismatches are errors that name the key; all problems are
reported together. The resolved config is written next to every output (`save_resolved`).
Every field is declared with `knob`, which carries its one help text (and, where the command line
spells it differently, its flags); `mathdistill.cli.options` turns the fields into options.
A knob also declares the values it accepts (`ge=1`, `gt=0, le=1`, `choices=...`, `folder=True`); the
config's `__post_init__` calls `check_fields(self)`, so YAML, `--set`, flags and code share one check,
and a bad value is refused when the config is built, before any model loads or file is written.
"""

from __future__ import annotations

import dataclasses
import json
import math
import types
import typing
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, TypeVar

from mathdistill.errors import ConfigError

C = TypeVar("C")


Choices = Iterable[str] | Callable[[], Iterable[str]]
_BOUNDS = ("ge", "gt", "le", "lt")


def knob(default: Any = dataclasses.MISSING, help: str = "", *, factory: Callable[[], Any] | None = None,
         flags: str | tuple[str, ...] | None = None, ge: float | None = None, gt: float | None = None,
         le: float | None = None, lt: float | None = None, choices: Choices | None = None,
         folder: bool = False) -> Any:
    """A config field with its help text and the values it accepts, written once for YAML readers,
    `--help` and validation alike.

    `flags` keeps a command-line spelling other than the field's name (`"--include-reference/--no-reference"`,
    `("--out", "--output-dir")`); without it the flag is the name with dashes. `ge`/`gt`/`le`/`lt` bound a
    number, `choices` lists the accepted strings (or is a function returning them, for a registry that is
    imported only when a value is checked); both apply to each item of a list, and None always passes.
    `folder=True` marks an output folder: an existing file there is refused.
    """
    if not help:
        raise TypeError("knob() needs a help text")
    rules = {k: v for k, v in (("ge", ge), ("gt", gt), ("le", le), ("lt", lt), ("choices", choices),
                               ("folder", folder or None)) if v is not None}
    meta = {"help": help, "flags": (flags,) if isinstance(flags, str) else flags, "rules": rules}
    if factory is not None:
        return dataclasses.field(default_factory=factory, metadata=meta)
    return dataclasses.field(default=default, metadata=meta)


def _range(rules: dict[str, Any]) -> str:
    lo = f"[{rules['ge']}" if "ge" in rules else f"({rules['gt']}" if "gt" in rules else None
    hi = f"{rules['le']}]" if "le" in rules else f"{rules['lt']})" if "lt" in rules else None
    if lo and hi:
        return f"in {lo}, {hi}"
    if lo:
        return (">= " if lo[0] == "[" else "> ") + lo[1:]
    return ("<= " if hi[-1] == "]" else "< ") + hi[:-1]  # type: ignore[index]


def value_problem(value: Any, rules: dict[str, Any]) -> str | None:
    """What is wrong with `value` under knob `rules` ("must be >= 1, got 0"), or None if nothing is."""
    if value is None or not rules:
        return None
    if isinstance(value, list | tuple):
        return next((p for p in (value_problem(v, rules) for v in value) if p), None)
    if rules.get("folder"):
        if value and Path(value).exists() and not Path(value).is_dir():
            return f"must be a folder, but {value} is a file"
        return None
    choices = rules.get("choices")
    if choices is not None:
        known = list(choices() if callable(choices) else choices)
        return None if value in known else f"must be one of {', '.join(known)}; got {value!r}"
    bounds = {k: rules[k] for k in _BOUNDS if k in rules}
    if bounds and isinstance(value, int | float) and not isinstance(value, bool):
        ok = (not math.isnan(value) and ("ge" not in bounds or value >= bounds["ge"])  # NaN fails every bound
              and ("gt" not in bounds or value > bounds["gt"]) and ("le" not in bounds or value <= bounds["le"])
              and ("lt" not in bounds or value < bounds["lt"]))
        return None if ok else f"must be {_range(bounds)}, got {value}"
    return None


class FieldProblems(ConfigError):
    """Fields of one config that break their knob's rules; `build` names them by their dotted key."""

    def __init__(self, problems: list[tuple[str, str]]):
        self.problems = problems
        super().__init__(self.render())

    def render(self, prefix: str = "") -> str:
        return "; ".join(f"{prefix}{name} {msg}" for name, msg in self.problems)


def check_fields(cfg: Any) -> None:
    """Refuse every field of dataclass `cfg` whose value breaks its knob's rules, all in one error.

    Nested config groups check themselves when they are built."""
    problems = []
    for f in dataclasses.fields(cfg):
        msg = value_problem(getattr(cfg, f.name), f.metadata.get("rules") or {})
        if msg:
            problems.append((f.name, msg))
    if problems:
        raise FieldProblems(problems)


def check_option(name: str, value: Any, **rules: Any) -> None:
    """The same rules for a command-line option that is not a config field (`check_option("--workers", n,
    ge=1)`)."""
    msg = value_problem(value, rules)
    if msg:
        raise ConfigError(f"{name} {msg}")


def _field_types(cls: type) -> dict[str, Any]:
    hints = typing.get_type_hints(cls)
    return {f.name: hints[f.name] for f in dataclasses.fields(cls)}


def _coerce(value: Any, tp: Any, key: str) -> Any:
    """Convert `value` (from YAML or a string override) to type `tp`, or raise ValueError."""
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        args = typing.get_args(tp)
        none = value is None or (isinstance(value, str) and value.lower() in ("none", "null"))
        if none and type(None) in args:
            return None
        errs = []
        for a in args:
            if a is type(None):
                continue
            try:
                return _coerce(value, a, key)
            except (ValueError, TypeError) as e:
                errs.append(str(e))
        raise ValueError(f"{key}: cannot read {value!r} as {tp}")
    if origin is typing.Literal:
        if value in typing.get_args(tp):
            return value
        raise ValueError(f"{key}: {value!r} is not one of {list(typing.get_args(tp))}")
    if dataclasses.is_dataclass(tp):
        if isinstance(value, tp):
            return value
        if not isinstance(value, dict):
            raise ValueError(f"{key}: expected a mapping, got {value!r}")
        return build(tp, value, prefix=key + ".")
    if origin in (list, tuple):
        (inner, *_) = typing.get_args(tp) or (Any,)
        if isinstance(value, str):
            value = [v.strip() for v in value.split(",") if v.strip()] if value.strip() else []
        if not isinstance(value, list | tuple):
            raise ValueError(f"{key}: expected a list, got {value!r}")
        out = [_coerce(v, inner, key) for v in value]
        return out if origin is list else tuple(out)
    if origin is dict:
        if isinstance(value, str):
            value = json.loads(value)
        if not isinstance(value, dict):
            raise ValueError(f"{key}: expected a mapping, got {value!r}")
        return dict(value)
    if tp is Any:
        return value
    if tp is bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "1", "yes", "on", "false", "0", "no", "off"):
            return value.lower() in ("true", "1", "yes", "on")
        raise ValueError(f"{key}: expected true/false, got {value!r}")
    if tp is int:
        if isinstance(value, bool):
            raise ValueError(f"{key}: expected an integer, got {value!r}")
        if isinstance(value, int):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, str):
            try:
                return int(value)
            except ValueError:
                pass
        raise ValueError(f"{key}: expected an integer, got {value!r}")
    if tp is float:
        if isinstance(value, bool):
            raise ValueError(f"{key}: expected a number, got {value!r}")
        try:
            return float(value)
        except (TypeError, ValueError):
            raise ValueError(f"{key}: expected a number, got {value!r}") from None
    if tp is str:
        if isinstance(value, str | int | float) and not isinstance(value, bool):
            return str(value)
        raise ValueError(f"{key}: expected a string, got {value!r}")
    return value


def build(cls: type[C], data: dict[str, Any], prefix: str = "") -> C:
    """Build dataclass `cls` from a (nested) mapping, strictly."""
    ftypes = _field_types(cls)
    errors, kwargs = [], {}
    for k, v in data.items():
        if k not in ftypes:
            errors.append(f"unknown key '{prefix}{k}' (known: {', '.join(sorted(ftypes))})")
            continue
        try:
            kwargs[k] = _coerce(v, ftypes[k], prefix + k)
        except ConfigError as e:
            errors.append(str(e))
        except (ValueError, TypeError) as e:
            errors.append(str(e))
    if errors:
        raise ConfigError("; ".join(errors))
    try:
        return cls(**kwargs)
    except TypeError as e:
        raise ConfigError(f"{cls.__name__}: {e}") from None
    except FieldProblems as e:
        raise ConfigError(e.render(prefix)) from None
    except (ConfigError, ValueError) as e:  # __post_init__'s checks across fields
        raise ConfigError(f"{prefix[:-1]}: {e}" if prefix else str(e)) from None


def parse_overrides(overrides: list[str] | None) -> dict[str, Any]:
    """['a.b=1', 'c=x'] -> {'a': {'b': '1'}, 'c': 'x'} (values stay strings; build() coerces)."""
    out: dict[str, Any] = {}
    for ov in overrides or []:
        if "=" not in ov:
            raise ConfigError(f"override '{ov}' must look like key.sub=value")
        key, val = ov.split("=", 1)
        parts = key.strip().split(".")
        node = out
        for p in parts[:-1]:
            node = node.setdefault(p, {})
            if not isinstance(node, dict):
                raise ConfigError(f"override '{ov}' conflicts with another override")
        node[parts[-1]] = val
    return out


def _deep_merge(base: dict, extra: dict) -> dict:
    out = dict(base)
    for k, v in extra.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = _deep_merge(out[k], v)
        else:
            out[k] = v
    return out


def read_yaml_mapping(path: str | Path) -> dict[str, Any]:
    """A YAML config file's top-level mapping, or a one-line ConfigError naming the file."""
    import yaml

    p = Path(path)
    if not p.exists():
        raise ConfigError(f"config file not found: {p}")
    try:
        loaded = yaml.safe_load(p.read_text()) or {}
    except yaml.YAMLError as e:
        raise ConfigError(f"{p}: invalid YAML: {e}") from None
    if not isinstance(loaded, dict):
        raise ConfigError(f"{p}: top level must be a mapping")
    return loaded


def load_config(
    cls: type[C],
    config_path: str | Path | None = None,
    overrides: list[str] | None = None,
    cli: dict[str, Any] | None = None,
) -> C:
    """Resolve a config: defaults < YAML < --set overrides < explicit CLI flags.

    `cli` holds only flags the user actually gave (None values are dropped), keyed by
    field name (dotted names allowed).
    """
    data: dict[str, Any] = read_yaml_mapping(config_path) if config_path else {}
    data = _deep_merge(data, parse_overrides(overrides))
    if cli:
        flat = [f"{k}={v}" for k, v in cli.items() if v is not None and not isinstance(v, list | dict)]
        data = _deep_merge(data, parse_overrides(flat))
        for k, v in cli.items():
            if isinstance(v, list | dict):
                data = _deep_merge(data, _nest(k, v))
    return build(cls, data)


def _nest(key: str, value: Any) -> dict:
    parts = key.split(".")
    d: dict[str, Any] = {parts[-1]: value}
    for p in reversed(parts[:-1]):
        d = {p: d}
    return d


def to_dict(cfg: Any) -> dict[str, Any]:
    return dataclasses.asdict(cfg)


def save_resolved(cfg: Any, out_dir: str | Path, name: str = "config.yaml") -> Path:
    """Write the resolved config as YAML next to an output."""
    import yaml

    from mathdistill.io.redact import redact

    p = Path(out_dir) / name
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(yaml.safe_dump(redact(to_dict(cfg)), sort_keys=False, allow_unicode=True))
    return p
