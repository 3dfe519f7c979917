"""Dataclass configs loadable from YAML with dotted overrides.

Precedence: dataclass defaults < YAML (`--config`) < `--set a.b=c` overrides < explicit CLI flags.
Unknown keys and type mismatches are errors that name the key; all problems are
reported together. The resolved config is written next to every output (`save_resolved`).
Every field is declared with `knob`, which carries its one help text (and, where the command line
spells it differently, its flags); `mathdistill.cli.options` turns the fields into options.
"""

from __future__ import annotations

import dataclasses
import json
import types
import typing
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from mathdistill.errors import ConfigError

C = TypeVar("C")


def knob(default: Any = dataclasses.MISSING, help: str = "", *, factory: Callable[[], Any] | None = None,
         flags: str | tuple[str, ...] | None = None) -> Any:
    """A config field with its help text, written once for YAML readers and `--help` alike.

    `flags` keeps a command-line spelling other than the field's name (`"--include-reference/--no-reference"`,
    `("--out", "--output-dir")`); without it the flag is the name with dashes.
    """
    if not help:
        raise TypeError("knob() needs a help text")
    meta = {"help": help, "flags": (flags,) if isinstance(flags, str) else flags}
    if factory is not None:
        return dataclasses.field(default_factory=factory, metadata=meta)
    return dataclasses.field(default=default, metadata=meta)


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
    except ValueError as e:  # __post_init__ validation
        raise ConfigError(str(e)) from None


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

    p = Path(out_dir) / name
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(yaml.safe_dump(to_dict(cfg), sort_keys=False, allow_unicode=True))
    return p
