"""Any OpenAI-compatible HTTP server: OpenAI/GPT-4-class teachers, `vllm serve`, llama.cpp server.

Requests run concurrently under an `asyncio.Semaphore(concurrency)`. Retries are the openai
client's own (`max_retries`, `timeout_s`): 408/409/429/5xx, timeouts and connection errors;
only the wait between tries is ours, `backoff_delay(attempt)` = capped exponential backoff
with equal jitter, or the server's `Retry-After` when it sends one. A request that still
fails, or fails in a way not worth retrying, fails the run with one clear line.

`n > 1` is sent as one call; a server that rejects `n` (400) or returns fewer choices is
asked again one completion at a time, and remembers that for later requests.
Chat completions are used when the request carries messages (`api="auto"`), the legacy
completions endpoint for plain prompts. Token counts come from `usage`; with n > 1 the
server reports only the total, which is split evenly across the choices (approximate).
A chat message's `reasoning_content` / `reasoning` (a server started with a reasoning parser, or an
API of a reasoning model) is kept apart from the answer (`Completion.reasoning`, docs/longcot.md).
"""

from __future__ import annotations

import asyncio
import os
import random
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlparse

from mathdistill._optional import require
from mathdistill.errors import BackendError, ConfigError
from mathdistill.grading.reasoning import THINK_TAGS, split_reasoning
from mathdistill.io.redact import redact_text
from mathdistill.sampling.base import Backend, Completion, GenerationRequest


def backoff_delay(attempt: int, base_s: float, max_s: float, retry_after: float | None = None,
                  rng: random.Random | None = None) -> float:
    """Seconds to wait before retry number `attempt` (0-based)."""
    if retry_after is not None and retry_after >= 0:
        return min(retry_after, max_s)
    cap = min(max_s, base_s * (2 ** attempt))
    return cap / 2 + (rng or random).uniform(0, cap / 2)


def _retry_after(headers: Any) -> float | None:
    value = headers.get("retry-after") if headers is not None else None
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


def _is_local(url: str | None) -> bool:
    return bool(url) and urlparse(url).hostname in ("127.0.0.1", "localhost", "::1")


def _number(options: Mapping[str, Any], name: str, *, integer: bool, low: float, strict: bool,
            why: str) -> None:
    if name not in options:
        return
    v = options[name]
    kind = (int,) if integer else (int, float)
    ok = isinstance(v, kind) and not isinstance(v, bool) and (v > low if strict else v >= low)
    if not ok:
        bound = f"> {low:g}" if strict else f">= {low:g}"
        raise ConfigError(f"{name} must be {'an integer' if integer else 'a number'} {bound} ({why}), got {v!r}")


class OpenAIBackend(Backend):
    name = "openai"
    loads_local_weights = False
    chat_api = True  # with the default api="auto"; set per instance from `api`

    @classmethod
    def check_options(cls, options: Mapping[str, Any]) -> None:
        # concurrency 0 would wait forever on its semaphore; negative values fail deep in asyncio/openai.
        _number(options, "concurrency", integer=True, low=1, strict=False, why="requests in flight at once")
        _number(options, "max_retries", integer=True, low=0, strict=False, why="0: no retries")
        _number(options, "timeout_s", integer=False, low=0, strict=True, why="seconds per request")
        _number(options, "backoff_base_s", integer=False, low=0, strict=False, why="seconds")
        _number(options, "backoff_max_s", integer=False, low=0, strict=False, why="seconds")
        if "api" in options and options["api"] not in ("auto", "chat", "completions"):
            raise ConfigError(f"api must be auto, chat or completions, got {options['api']!r}")

    def __init__(self, model: str, base_url: str | None = None, api_key_env: str = "OPENAI_API_KEY",
                 api: str = "auto", concurrency: int = 16, max_retries: int = 6, backoff_base_s: float = 0.5,
                 backoff_max_s: float = 30.0, timeout_s: float = 600.0, send_seed: bool = True,
                 token_ids: bool = False, **_: Any):
        self.check_options({"api": api, "concurrency": concurrency, "max_retries": max_retries,
                            "backoff_base_s": backoff_base_s, "backoff_max_s": backoff_max_s, "timeout_s": timeout_s})
        require("openai", "api")
        self.model = model
        self.base_url = base_url or os.environ.get("OPENAI_BASE_URL")
        key = os.environ.get(api_key_env)
        if not key:
            if not _is_local(self.base_url):
                raise ConfigError(f"set ${api_key_env} to your API key (or pick another variable with --api-key-env)")
            key = "EMPTY"  # local servers (vllm serve, llama.cpp) accept any key
        self._key = key
        self.api, self.concurrency, self.max_retries = api, concurrency, max_retries
        self.backoff_base_s, self.backoff_max_s, self.timeout_s = backoff_base_s, backoff_max_s, timeout_s
        self.send_seed = send_seed
        # vLLM's server extension: log-prob tokens as "token_id:N", so `--logprobs` records ids, not strings.
        self.token_ids = token_ids
        self.logprob_tokens = "id" if token_ids else "string"
        self.n_supported: bool | None = None
        self.retries = 0  # total retries made (for logs and tests)
        self.chat_api = api == "chat" or api == "auto"

    @classmethod
    def max_logprobs(cls, options: Mapping[str, Any]) -> int | None:
        return 20  # the OpenAI API's top_logprobs bound (a vLLM server's default max_logprobs too)

    def describe(self) -> dict[str, Any]:
        import openai

        return {"name": self.name, "model": self.model, "base_url": redact_text(self.base_url or "") or None,
                "api": self.api,
                "concurrency": self.concurrency, "max_retries": self.max_retries, "send_seed": self.send_seed,
                "openai": openai.__version__, "n_supported": self.n_supported}

    def generate(self, requests: Sequence[GenerationRequest]) -> list[list[Completion]]:
        return asyncio.run(self._generate(list(requests)))

    async def _generate(self, requests: list[GenerationRequest]) -> list[list[Completion]]:
        sem = asyncio.Semaphore(self.concurrency)
        async with self._client() as client:
            return list(await asyncio.gather(*(self._request(client, sem, r) for r in requests)))

    def _client(self) -> Any:
        from openai import AsyncOpenAI

        backend = self

        class Client(AsyncOpenAI):
            # The client asks this hook for the wait before each retry; should a client version
            # not call it, its own backoff applies and only backoff_base_s/backoff_max_s are lost.
            def _calculate_retry_timeout(self, remaining_retries: int, options: Any,
                                         response_headers: Any = None) -> float:
                backend.retries += 1
                return backoff_delay(backend.max_retries - remaining_retries, backend.backoff_base_s,
                                     backend.backoff_max_s, _retry_after(response_headers))

        return Client(base_url=self.base_url, api_key=self._key, max_retries=self.max_retries,
                      timeout=self.timeout_s)

    async def _request(self, client: Any, sem: asyncio.Semaphore, r: GenerationRequest) -> list[Completion]:
        import openai

        n = r.params.n
        comps: list[Completion] = []
        if n > 1 and self.n_supported is not False:
            try:
                comps = await self._call(client, sem, r, n, r.params.seed)
                self.n_supported = self.n_supported or len(comps) == n or None
            except openai.BadRequestError:
                self.n_supported = False
        seed = r.params.seed
        rest = [self._call(client, sem, r, 1, None if seed is None else seed + j) for j in range(len(comps), n)]
        for more in await asyncio.gather(*rest):
            comps.extend(more)
        return comps[:n]

    async def _call(self, client: Any, sem: asyncio.Semaphore, r: GenerationRequest, n: int,
                    seed: int | None) -> list[Completion]:
        import openai

        p = r.params
        kw: dict[str, Any] = {"model": self.model, "n": n, "temperature": p.temperature, "top_p": p.top_p,
                              "max_tokens": p.max_tokens}
        if self.send_seed and seed is not None:
            kw["seed"] = seed
        chat = self.api == "chat" or (self.api == "auto" and r.messages is not None)
        if p.stop and not chat:
            kw["stop"] = list(p.stop)[:4]  # the OpenAI API accepts at most 4
        if p.logprobs:
            kw.update({"logprobs": True, "top_logprobs": p.logprobs} if chat else {"logprobs": p.logprobs})
            if self.token_ids:
                kw["extra_body"] = {"return_tokens_as_token_ids": True}
        try:
            async with sem:
                if chat:
                    resp = await client.chat.completions.create(messages=r.messages or [
                        {"role": "user", "content": r.prompt}], **kw)
                else:
                    resp = await client.completions.create(prompt=r.prompt, **kw)
        except openai.APIError as e:
            if isinstance(e, openai.BadRequestError) and n > 1:
                raise  # perhaps only `n` is refused: the caller asks one completion at a time
            raise BackendError(redact_text(f"{self.base_url or 'OpenAI'}: {type(e).__name__}: {e} "
                                           f"(max_retries={self.max_retries})")) from None
        comps = _completions(resp, chat)
        if p.logprobs:
            for c, choice in zip(comps, sorted(resp.choices, key=lambda c: c.index), strict=True):
                c.logprobs = choice_logprobs(choice, chat)
        return comps


def _token(t: Any) -> Any:
    """A log-prob token as the server sent it: an id for vLLM's "token_id:N" form, else the string."""
    if isinstance(t, str) and t.startswith("token_id:") and t[9:].lstrip("-").isdigit():
        return int(t[9:])
    return t


def choice_logprobs(choice: Any, chat: bool) -> Any:
    """A choice's per-token log-probs as TokenLogprobs (token strings unless the server sent ids).
    None when the server sent none although asked."""
    from mathdistill.store.logprobs import TokenLogprobs

    lp = getattr(choice, "logprobs", None)
    if lp is None:
        return None
    if chat:
        content = lp.content or []
        return TokenLogprobs([_token(t.token) for t in content], [float(t.logprob) for t in content],
                             [[_token(x.token) for x in (t.top_logprobs or [])] for t in content],
                             [[float(x.logprob) for x in (t.top_logprobs or [])] for t in content])
    tops = [sorted((d or {}).items(), key=lambda kv: -kv[1]) for d in (lp.top_logprobs or [])]
    tokens = list(lp.tokens or [])
    return TokenLogprobs([_token(t) for t in tokens],
                         [float("nan") if v is None else float(v) for v in (lp.token_logprobs or [])],
                         [[_token(t) for t, _ in top] for top in tops], [[float(v) for _, v in top] for top in tops])


def _split_evenly(total: int | None, i: int, n: int) -> int | None:
    if total is None or not n:
        return None
    return total // n + (1 if i < total % n else 0)


def message_reasoning(message: Any) -> str | None:
    """The reasoning a chat completion's message carries: `reasoning_content` (vLLM with
    --reasoning-parser up to 0.10, DeepSeek's API) or `reasoning` (vLLM since, OpenRouter, others)."""
    extra = getattr(message, "model_extra", None) or {}
    for name in ("reasoning_content", "reasoning"):
        v = getattr(message, name, None)
        if v is None:
            v = extra.get(name)
        if isinstance(v, str):
            return v
    return None


def server_split(reasoning: str, content: str) -> tuple[str, str, bool]:
    """(answer, reasoning, closed) of a message the server split.

    The server does not say whether the reasoning closed: an empty answer after it is read as a
    reasoning that never closed (truncated), the only reading that never grades a half-finished
    thought; a non-empty answer means it closed. vLLM's parsers end the reasoning at the FIRST
    closing tag, so a second block can sit in the answer: it is re-split by our rule (the answer is
    what follows the last closing tag), the reasoning keeping both blocks as the model wrote them."""
    more = split_reasoning(content) if "think>" in content else None
    if more is None or more.closed is None:
        answer = content.strip()
        return answer, reasoning.strip(), bool(answer)
    joined = f"{reasoning.strip()}{THINK_TAGS[1]}{more.reasoning}"
    return more.answer, joined, bool(more.closed)


def _completions(resp: Any, chat: bool) -> list[Completion]:
    choices = sorted(resp.choices, key=lambda c: c.index)
    total = getattr(resp.usage, "completion_tokens", None) if resp.usage else None
    details = getattr(resp.usage, "completion_tokens_details", None) if resp.usage else None
    total_reasoning = getattr(details, "reasoning_tokens", None) if details is not None else None
    out = []
    for i, c in enumerate(choices):
        text = (c.message.content or "") if chat else (c.text or "")
        tokens = _split_evenly(total, i, len(choices))
        comp = Completion(text, c.finish_reason, tokens)
        reasoning = message_reasoning(c.message) if chat else None
        if reasoning is not None and reasoning.strip():  # some APIs send "" for "no reasoning"
            comp.text, comp.reasoning, comp.reasoning_closed = server_split(reasoning, text)
            # A count of 0 with a reasoning present is a parser that could not count (a pre-filled
            # opening tag is not in the output): unknown, not zero.
            comp.reasoning_tokens = _split_evenly(total_reasoning, i, len(choices)) or None
        out.append(comp)
    return out
