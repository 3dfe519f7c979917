"""Command-line options derived from the config dataclasses (their `mathdistill.config.knob` fields).

A field's flag is its name with dashes (`max_new_tokens` -> `--max-new-tokens`); a field of a nested
group is prefixed with the group (`lora.r` -> `--lora-r`); a bool gets `--x/--no-x`; a list is one
comma-separated value; `knob(flags=...)` keeps another spelling. Mappings are set with `--set` or
in the YAML only. Every option defaults to None, "not given", so the precedence stays
dataclass defaults < --config YAML < --set overrides < explicit flags.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
import types
import typing
from collections.abc import Callable, Iterable
from typing import Annotated, Any, Optional

import typer


@dataclasses.dataclass(frozen=True)
class ConfigFlag:
    key: str  # the field's dotted path, as `--set` spells it
    param: str  # the command function's parameter name
    decls: tuple[str, ...]
    type: type
    help: str
    default: Any  # the dataclass default, shown by --help
    panel: str | None  # --help section of a nested group's fields


def _value_type(tp: Any) -> type | None:
    """The command-line type of a field, or None for a field the command line does not set."""
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        return _value_type(args[0]) if len(args) == 1 else None
    if origin is typing.Literal or origin in (list, tuple):
        # Choices and lists are read (and rejected, with the field's name) by the config itself.
        return str
    return tp if tp in (str, int, float, bool) else None


def config_flags(cls: type, only: Iterable[str] | None = None) -> list[ConfigFlag]:
    """The options of `cls`'s fields (all, or the dotted keys in `only`), in field order."""
    flags: list[ConfigFlag] = []
    _collect(cls, "", None, flags)
    if only is not None:
        want = list(only)
        unknown = set(want) - {f.key for f in flags}
        if unknown:
            raise TypeError(f"{cls.__name__} has no command-line field(s) {sorted(unknown)}")
        flags = [f for f in flags if f.key in want]
    seen: dict[str, str] = {}
    for f in flags:
        for d in f.decls:
            for name in d.split("/"):
                if name in seen:
                    raise TypeError(f"{cls.__name__}: {name} is the flag of both {seen[name]} and {f.key}")
                seen[name] = f.key
    return flags


def _collect(cls: type, group: str | None, panel: str | None, out: list[ConfigFlag]) -> None:
    hints = typing.get_type_hints(cls)
    for f in dataclasses.fields(cls):
        tp = hints[f.name]
        key = f"{group}.{f.name}" if group else f.name
        if dataclasses.is_dataclass(tp):
            _collect(tp, key, f"{key} options", out)
            continue
        vtype = _value_type(tp)
        if vtype is None:
            continue
        if not f.metadata.get("help"):
            raise TypeError(f"{cls.__name__}.{f.name} has no help text: declare it with knob(default, 'help')")
        param = key.replace(".", "_")
        name = param.replace("_", "-")
        decls = f.metadata.get("flags") or ((f"--{name}/--no-{name}",) if vtype is bool else (f"--{name}",))
        default = f.default_factory() if f.default is dataclasses.MISSING else f.default  # type: ignore[misc]
        out.append(ConfigFlag(key, param, tuple(decls), vtype, f.metadata["help"], default, panel))


def _shown(default: Any) -> str | bool:
    if default is None or default == "" or default == []:
        return False
    if isinstance(default, bool):
        return str(default).lower()
    if isinstance(default, list | tuple):
        return ",".join(map(str, default))
    return str(default)


def _option(f: ConfigFlag) -> Any:
    return Annotated[
        Optional[f.type],  # noqa: UP045 -- typer reads the annotation at runtime
        typer.Option(*f.decls, help=f.help, show_default=_shown(f.default), rich_help_panel=f.panel),
    ]


def config_options(cls: type, *, only: Iterable[str] | None = None,
                   into: str = "flags") -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Give a command one option per field of `cls`, in place of its parameter `into`.

    The command receives `into` as {dotted field: value} holding only the options given, ready
    for `load_config(cls, config, set_, flags)`.
    """
    flags = config_flags(cls, only)

    def decorate(func: Callable[..., Any]) -> Callable[..., Any]:
        sig = inspect.signature(func, eval_str=True)
        if into not in sig.parameters:
            raise TypeError(f"{func.__name__} has no parameter '{into}' to put the {cls.__name__} options in")
        clash = {f.param for f in flags} & set(sig.parameters)
        if clash:
            raise TypeError(f"{func.__name__}: parameter(s) {sorted(clash)} clash with {cls.__name__} fields")
        # Keyword-only throughout, so the options can sit anywhere: typer passes every value by name.
        kw = inspect.Parameter.KEYWORD_ONLY
        params: list[inspect.Parameter] = []
        for p in sig.parameters.values():
            if p.name == into:
                params.extend(inspect.Parameter(f.param, kw, default=None, annotation=_option(f)) for f in flags)
            else:
                params.append(p.replace(kind=kw))

        @functools.wraps(func)
        def command(**kwargs: Any) -> Any:
            given = {f.key: kwargs.pop(f.param) for f in flags}
            return func(**kwargs, **{into: {k: v for k, v in given.items() if v is not None}})

        command.__signature__ = sig.replace(parameters=params)  # type: ignore[attr-defined]
        command.__annotations__ = {p.name: p.annotation for p in params}
        return command

    return decorate
