"""Teacher sampling: backends (vllm, hf, openai, fake) and rejection-sampling strategies.

`run_sampling(SampleConfig(...))` is what `mathdistill sample` runs; `run_ray` spreads it over
Ray actors (`mathdistill.sampling.ray_runner`, imported lazily). `sampling.generate` is the
generation step eval shares (prompts, requests, completions -> Samples). Nothing here imports torch.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mathdistill.sampling.base import (
        Backend,
        BackendSpec,
        Completion,
        GenerationRequest,
        SamplingParams,
        backend_class,
        get_backend,
    )
    from mathdistill.sampling.config import SampleConfig
    from mathdistill.sampling.runner import run_sampling

__all__ = ["Backend", "BackendSpec", "Completion", "GenerationRequest", "SampleConfig", "SamplingParams",
           "backend_class", "get_backend", "run_sampling"]


def __getattr__(name: str) -> Any:
    # Resolved on first use: every command module imports a stage config, which imports this package,
    # and the runner (with the grader under it) would otherwise load for `mathdistill --help`.
    if name == "run_sampling":
        from mathdistill.sampling import runner as module
    elif name == "SampleConfig":
        from mathdistill.sampling import config as module
    elif name in __all__:
        from mathdistill.sampling import base as module
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(module, name)
    globals()[name] = value
    return value
