"""Resolve a model name to something `from_pretrained` / vLLM accepts."""

from __future__ import annotations

from pathlib import Path

from mathdistill.models import smollm2

ALIASES = {"smollm2": smollm2, "smollm2-135m-instruct": smollm2}


def resolve_model(name: str, *, prepare: bool = True) -> str:
    """`smollm2` -> the cached plain HF checkpoint (prepared on first use);
    a local directory -> its path; anything else is passed on as a Hub id."""
    mod = ALIASES.get(name.lower())
    if mod is not None:
        return str(mod.prepare() if prepare else mod.checkpoint_dir())
    p = Path(name).expanduser()
    if p.exists():
        return str(p.resolve())
    return name


def is_peft_adapter(path: str) -> bool:
    return (Path(path) / "adapter_config.json").exists()
