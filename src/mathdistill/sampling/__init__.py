"""Teacher sampling: backends (vllm, hf, openai, fake) and rejection-sampling strategies."""

from mathdistill.sampling.base import Backend, Completion, GenerationRequest, SamplingParams, get_backend

__all__ = ["Backend", "Completion", "GenerationRequest", "SamplingParams", "get_backend"]
