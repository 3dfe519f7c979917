"""The backend base: one method, its traits, one params record, one output record.

A backend turns `GenerationRequest`s (a prompt plus `n`, a seed and sampling params)
into lists of `Completion`s. Backends are created by name through a registry of lazy
imports, so `import mathdistill.sampling` never imports torch or vllm.
"""

from __future__ import annotations

import importlib
import inspect
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, ClassVar

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
    logprobs: int = 0  # top-K token log-probs per generated token (0: none), vLLM's `logprobs`

    def __post_init__(self) -> None:
        if self.logprobs < 0:
            raise ConfigError(f"logprobs must be >= 0, got {self.logprobs}")
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
        d = asdict(self)
        if not d["logprobs"]:  # only when asked for: cache keys made before the field stay valid
            del d["logprobs"]
        return d


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
    # Set only by a backend that split the reasoning itself (a server's `reasoning_content`, vLLM's
    # parser); `text` is then the answer part. Otherwise the completion -> Sample step splits `text`.
    reasoning: str | None = None
    reasoning_closed: bool | None = None
    reasoning_tokens: int | None = None
    # store.logprobs.TokenLogprobs of every generated token, when the request asked for `logprobs`.
    logprobs: Any = None

    @property
    def split(self) -> bool:
        return self.reasoning is not None or self.reasoning_closed is not None


class Backend(ABC):
    """What every backend does (`generate`) and what it is: traits set on the class, so they can be
    read before anything is constructed (`backend_class(name).loads_local_weights`); an instance may
    refine one once it knows more (vLLM on CPU seeds the engine, OpenAI with `api="completions"`)."""

    name: ClassVar[str] = ""
    # The server renders prompts from chat messages itself: requests carry messages, no stop strings.
    chat_api: bool = False
    # What a completion's seed is: "request" (its own), "batch" (its batch's first request's) or
    # "engine" (the engine's, requests carry none); recorded in run.json.
    seed_mode: str = "request"
    # `model` is weights on disk: a trained folder is prepared (merged, checked) and prompted as it
    # was trained, and the backend takes the run's seed; otherwise `model` is just a name to send.
    loads_local_weights: bool = True
    # Runs NAT models (dual LoRA + integration unit).
    runs_nat: bool = False
    # What its token log-probs name tokens by: "id" (the model's ids) or "string" (a server's text pieces).
    logprob_tokens: str = "id"

    model: str

    @classmethod
    def check_options(cls, options: Mapping[str, Any]) -> None:
        """Refuse absurd constructor options with one ConfigError line. Commands call it on the class
        before they write or load anything; a backend's constructor calls it too."""

    @classmethod
    def max_logprobs(cls, options: Mapping[str, Any]) -> int | None:
        """The largest top-K of token log-probs it can return with constructor `options` (0: none,
        None: up to its vocabulary)."""
        return 0

    @abstractmethod
    def generate(self, requests: Sequence[GenerationRequest]) -> list[list[Completion]]:
        """Return, for each request, `request.params.n` completions in order."""

    def tokenizer(self) -> Any:
        """The tokenizer used to render chat templates, or None (chat-API backends)."""
        return None

    def use_reasoning(self, family: Any) -> None:
        """The run's reasoning family (`models.families.Family`), given before the first `generate`.
        A backend that can split reasoning itself (vLLM's parsers) takes it here; the others leave the
        split to the completion -> Sample step."""

    def describe(self) -> dict[str, Any]:
        """Engine, versions, settings that change outputs (recorded next to them)."""
        return {"name": self.name, "model": self.model}

    def load_weights(self, model: str) -> bool:
        """Serve `model` from now on by loading its weights into the engine already running, when it
        differs from the current model in its weights only; True when done, `self.model` then names it.
        False: the caller closes this backend (a failed reload may have left it half-loaded) and starts
        another for `model`."""
        return False

    def park(self) -> bool:
        """Asked before the run spends a while on other work (training) with this backend loaded
        but idle. True: it can wait so, cheaply (no CPU, no memory that work needs); False: it had
        better be closed."""
        return False

    def close(self) -> None:
        pass


# name -> "module:Class"; imported only when asked for. Backend modules import their engine
# (torch, vllm, openai) inside the constructor, so reading a class's traits stays light.
BACKENDS: dict[str, str] = {
    "fake": "mathdistill.sampling.backends.fake:FakeBackend",
    "hf": "mathdistill.sampling.backends.hf:HFBackend",
    "vllm": "mathdistill.sampling.backends.vllm_backend:VLLMBackend",
    "openai": "mathdistill.sampling.backends.openai_backend:OpenAIBackend",
}


def backend_class(name: str) -> type[Backend]:
    """The backend class registered under `name` (its traits, without constructing it)."""
    target = BACKENDS.get(name)
    if target is None:
        raise MathdistillError(f"unknown backend '{name}' (known: {', '.join(BACKENDS)})")
    mod_name, cls_name = target.split(":")
    return getattr(importlib.import_module(mod_name), cls_name)


def check_backend_options(name: str, options: Mapping[str, Any]) -> None:
    """Backend `name`'s `check_options`, its error naming the backend (unknown names are left to
    whoever creates the backend)."""
    if name not in BACKENDS:
        return
    try:
        backend_class(name).check_options(options)
    except ConfigError as e:
        raise ConfigError(f"{name} backend: {e}") from None


def get_backend(name: str, model: str, **kwargs: Any) -> Backend:
    """Instantiate a backend by registry name."""
    return backend_class(name)(model=model, **kwargs)


@dataclass
class BackendSpec:
    """A backend to start: registry name, the model as the backend loads it, constructor options."""

    name: str
    model: str
    kwargs: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def prepared(cls, name: str, model: str, kwargs: dict[str, Any]) -> BackendSpec:
        """`model` made loadable by backend `name`: a PEFT adapter merged (once, cached), a NAT folder
        refused unless the backend runs NAT, a name left as it is for backends that load no weights."""
        from mathdistill.models.prepare import prepare_model

        b = backend_class(name)
        return cls(name, prepare_model(model, loads_local_weights=b.loads_local_weights, runs_nat=b.runs_nat),
                   dict(kwargs))

    def create(self) -> Backend:
        return get_backend(self.name, self.model, **self.kwargs)

    def engine_args(self) -> dict[str, Any]:
        """Every constructor argument, defaults filled in: equal engine_args, the same engine
        (an option given explicitly equals its default left out)."""
        bound = inspect.signature(backend_class(self.name)).bind(model=self.model, **self.kwargs)
        bound.apply_defaults()
        return {"backend": self.name, **bound.arguments}
