"""Teacher sampling: backends (vllm, hf, openai, fake) and rejection-sampling strategies.

`run_sampling(SampleConfig(...))` is what `mathdistill sample` runs; `run_ray` spreads it over
Ray actors (`mathdistill.sampling.ray_runner`, imported lazily). Nothing here imports torch.
"""

from mathdistill.sampling.base import Backend, Completion, GenerationRequest, SamplingParams, get_backend
from mathdistill.sampling.config import SampleConfig
from mathdistill.sampling.runner import run_sampling

__all__ = ["Backend", "Completion", "GenerationRequest", "SampleConfig", "SamplingParams", "get_backend",
           "run_sampling"]
