"""Teacher sampling: backends (vllm, hf, openai, fake) and rejection-sampling strategies.

`run_sampling(SampleConfig(...))` is what `mathdistill sample` runs; `run_ray` spreads it over
Ray actors (`mathdistill.sampling.ray_runner`, imported lazily). `sampling.generate` is the
generation step eval shares (prompts, requests, completions -> Samples). Nothing here imports torch.
"""

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
