"""Resolve a model name to something `from_pretrained` / vLLM accepts."""

from __future__ import annotations

import re
from pathlib import Path

from mathdistill.errors import DataError
from mathdistill.models import smollm2

ALIASES = {"smollm2": smollm2, "smollm2-135m-instruct": smollm2}


def resolve_model(name: str, *, prepare: bool = True) -> str:
    """`smollm2` -> the cached plain HF checkpoint (prepared on first use);
    a local directory -> its path; a Hub id is passed on as it is. A name that can only be a
    local path (`/x`, `./x`, `runs/a/b`, `~/x`) and names nothing is refused here, in one line,
    rather than by the Hub client's repo-id check deep inside a model load."""
    mod = ALIASES.get(name.lower())
    if mod is not None:
        return str(mod.prepare() if prepare else mod.checkpoint_dir())
    p = Path(name).expanduser()
    if p.exists():
        return str(p.resolve())
    if not _could_be_hub_id(name):
        raise DataError(name, None, None, "no such model folder (and not a model alias or a Hub id)")
    return name


_HUB_PART = re.compile(r"\w[\w.-]*")


def _could_be_hub_id(name: str) -> bool:
    """`name` or `org/name` as the Hub allows them (letters, digits, `-_.`; no `--` or `..`)."""
    parts = name.split("/")
    return len(parts) <= 2 and all(_HUB_PART.fullmatch(s) and "--" not in s and ".." not in s
                                   and not s.endswith((".", "-")) for s in parts)


def is_peft_adapter(path: str) -> bool:
    return (Path(path) / "adapter_config.json").exists()
