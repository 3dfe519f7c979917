"""What a trained model folder says about itself, read by every stage that is handed one.

Training writes `mathdistill_train.json` last into every folder it finishes (the writer and the
resume guard live in mathdistill.training.manifest); sampling and eval read from it the prompt the
model was trained with, and the `run` job whether a step is done. A NAT folder (dual LoRA +
integration unit) is recognised by its `nat_config.json`: no other loader can run it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mathdistill.io.atomic import read_json

MANIFEST = "mathdistill_train.json"
NAT_CONFIG = "nat_config.json"
MERGED_FROM = "mathdistill_merged_from.json"  # written into a merged adapter copy


def read_manifest(model_dir: str | Path) -> dict[str, Any] | None:
    """The folder's manifest, or None when it has none (or a torn one: the run did not finish)."""
    doc = read_json(Path(model_dir) / MANIFEST)
    return doc if isinstance(doc, dict) else None


def is_complete(output_dir: str | Path) -> bool:
    """True once a training run finished and wrote its summary (the `run` job skips it)."""
    m = read_manifest(output_dir)
    return bool(m and m.get("status") == "complete")


def _own_manifest(path: Path) -> dict[str, Any] | None:
    """The folder's manifest; for a merged copy of an adapter (models.prepare), the adapter's."""
    m = read_manifest(path)
    if m is None:
        src = read_json(path / MERGED_FROM)
        if isinstance(src, dict) and src.get("adapter"):
            m = read_manifest(src["adapter"])
    return m


def trained_prompt(model: str) -> tuple[str | None, str] | None:
    """(template, rendering) a trained model directory was trained with, or None for other models.

    The rendering (data.prompts.RENDERINGS) is how training turned each problem into prompt text;
    sampling and eval render the same way so the model sees byte-identical prompts. A merged copy
    of an adapter (models.prepare) answers for the adapter it was merged from."""
    from mathdistill.models.registry import resolve_model

    m = _own_manifest(Path(resolve_model(model, prepare=False)))
    if not m or not isinstance(m.get("prompt"), dict):
        return None
    p = m["prompt"]
    # Manifests written before `rendering` was recorded say only chat or plain.
    rendering = p.get("rendering") or ("plain" if p.get("format") == "plain" else "auto")
    return p.get("template"), str(rendering)


def trained_on_reasoning(model: str) -> bool:
    """True for a folder mathdistill trained on reasoning traces (think-tagged completions): it writes
    `<think>` blocks although neither its name nor its chat template says so."""
    path = Path(model)
    if not path.is_dir():
        return False
    data = (_own_manifest(path) or {}).get("data")
    return isinstance(data, dict) and bool(data.get("reasoning_rows"))


def is_nat_dir(path: str | Path) -> bool:
    return (Path(path) / NAT_CONFIG).exists()
