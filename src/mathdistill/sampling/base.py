"""The backend protocol: one method, one params record, one output record.

A backend turns `GenerationRequest`s (a prompt plus `n`, a seed and sampling params)
into lists of `Completion`s. Backends are created by name through a registry of lazy
factories, so `import mathdistill.sampling` never imports torch or vllm.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol, runtime_checkable

from mathdistill.errors import ConfigError, MathdistillError


@dataclass
class SamplingParams:
    """Names follow vLLM's SamplingParams."""

    n: int = 1
    temperature: float = 0.7
    top_p: float = 1.0
    max_tokens: int = 1024
    stop: list[str] = field(default_factory=list)
    seed: int | None = None

    def __post_init__(self) -> None:
        if self.n < 1:
            raise ConfigError(f"n must be >= 1, got {self.n}")
        if not 0.0 <= self.temperature <= 10.0:
            raise ConfigError(f"temperature must be in [0, 10], got {self.temperature}")
        if not 0.0 < self.top_p <= 1.0:
            raise ConfigError(f"top_p must be in (0, 1], got {self.top_p}")
        if self.max_tokens < 1:
            raise ConfigError(f"max_tokens must be >= 1, got {self.max_tokens}")

    @property
    def greedy(self) -> bool:
        return self.temperature <= 1e-5

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class GenerationRequest:
    """One prompt to complete `params.n` times. `messages` is set for chat-API backends."""

    prompt: str
    params: SamplingParams
    messages: list[dict[str, str]] | None = None
    request_id: str = ""


@dataclass
class Completion:
    text: str
    finish_reason: str | None = None  # "stop" | "length" | "abort" | None
    num_tokens: int | None = None
    seed: int | None = None  # the seed that actually drove this completion, when not the request's


@runtime_checkable
class Backend(Protocol):
    name: str
    model: str

    def generate(self, requests: Sequence[GenerationRequest]) -> list[list[Completion]]:
        """Return, for each request, `request.params.n` completions in order."""
        ...

    def tokenizer(self) -> Any:
        """The tokenizer used to render chat templates, or None (chat-API backends)."""
        ...

    def close(self) -> None: ...


# name -> "module:Class"; imported only when the backend is created.
BACKENDS: dict[str, str] = {
    "fake": "mathdistill.sampling.backends.fake:FakeBackend",
    "hf": "mathdistill.sampling.backends.hf:HFBackend",
    "vllm": "mathdistill.sampling.backends.vllm_backend:VLLMBackend",
    "openai": "mathdistill.sampling.backends.openai_backend:OpenAIBackend",
}


def get_backend(name: str, model: str, **kwargs: Any) -> Backend:
    """Instantiate a backend by registry name."""
    target = BACKENDS.get(name)
    if target is None:
        raise MathdistillError(f"unknown backend '{name}' (known: {', '.join(BACKENDS)})")
    mod_name, cls_name = target.split(":")
    cls: Callable[..., Backend] = getattr(importlib.import_module(mod_name), cls_name)
    return cls(model=model, **kwargs)
