"""Writing what a trained model directory says about itself (mathdistill.models.manifest reads it).

The manifest records the resolved config, the prompt rendering and template (so `eval --model DIR`
and `sample --model DIR` prompt the model byte for byte as it was trained), the data fingerprint and
counts, metrics and library versions. A config guard (train_guard.json, written before the
first step) refuses to resume a run folder with a different config or data.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from mathdistill.errors import ConfigError
from mathdistill.io.atomic import write_json_atomic
from mathdistill.io.settings import settings_key, settings_of
from mathdistill.models.manifest import MANIFEST

GUARD = "train_guard.json"


def config_key(cfg: Any, data_fingerprint: str, *, legacy: bool = False) -> str:
    """Fields that may change between a killed run and its rerun without changing the result
    (io.settings.VOLATILE) do not count, nor do unset ones (`legacy`: as guards were keyed before)."""
    return settings_key(settings_of(cfg, _data=data_fingerprint), legacy=legacy)


def check_guard(cfg: Any, data_fingerprint: str) -> None:
    """Write the guard on a fresh run; on a rerun, refuse if config or data changed."""
    out = Path(cfg.output_dir)
    out.mkdir(parents=True, exist_ok=True)
    key = config_key(cfg, data_fingerprint)
    g = out / GUARD
    if g.exists():
        try:
            old = json.loads(g.read_text())
        except json.JSONDecodeError:
            old = None
        if old and old.get("key") not in (key, config_key(cfg, data_fingerprint, legacy=True)):
            raise ConfigError(f"{out} holds a training run with another config or data "
                              f"(guard {old.get('key')} vs {key}); use a new --out, or delete the folder to restart")
        if old:
            return
    write_json_atomic(g, {"key": key, "method": cfg.method, "data_fingerprint": data_fingerprint})


def data_template(data_files: list[str]) -> str | None:
    """The prompt template curation recorded in stats.json beside the data file."""
    for f in data_files:
        st = Path(f).parent / "stats.json"
        if st.exists():
            try:
                t = (json.loads(st.read_text()).get("prompt") or {}).get("template") or {}
            except json.JSONDecodeError:
                continue
            if t.get("name"):
                return str(t["name"])
    return None


def prompt_block(cfg: Any, rendering: str) -> dict[str, Any]:
    """How the trained folder expects its prompts (models.manifest.trained_prompt reads it back).

    `rendering` is data.prompts' chat | plain | joined; `format` (chat | plain) is kept for readers
    of older manifests."""
    template = cfg.template or data_template(list(cfg.data))
    return {"rendering": rendering, "format": "chat" if rendering == "chat" else "plain", "template": template,
            "note": "eval/sample with --model DIR render prompts this way, with this template unless told otherwise"}


def portable_adapter_config(out: Path, model_name: str) -> None:
    """PEFT writes the resolved base path (a local cache); an alias like `smollm2` resolves anywhere."""
    from mathdistill.models.registry import ALIASES

    p = out / "adapter_config.json"
    if p.exists() and model_name.lower() in ALIASES:
        d = json.loads(p.read_text())
        d["base_model_name_or_path"] = model_name
        write_json_atomic(p, d)


def write_manifest(out: Path, cfg: Any, **fields: Any) -> dict[str, Any]:
    from mathdistill.runinfo import run_metadata

    doc = {"status": "complete", "method": cfg.method, **fields,
           "run_metadata": run_metadata(config=cfg, seeds={"seed": cfg.seed, "data_seed": cfg.seed})}
    write_json_atomic(out / MANIFEST, doc)
    return doc
