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
"""

from __future__ import annotations

import asyncio
import os
import random
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlparse

from mathdistill._optional import require
from mathdistill.errors import BackendError, ConfigError
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


class OpenAIBackend(Backend):
    name = "openai"
    loads_local_weights = False
    chat_api = True  # with the default api="auto"; set per instance from `api`

    def __init__(self, model: str, base_url: str | None = None, api_key_env: str = "OPENAI_API_KEY",
                 api: str = "auto", concurrency: int = 16, max_retries: int = 6, backoff_base_s: float = 0.5,
                 backoff_max_s: float = 30.0, timeout_s: float = 600.0, send_seed: bool = True, **_: Any):
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
        self.n_supported: bool | None = None
        self.retries = 0  # total retries made (for logs and tests)
        self.chat_api = api == "chat" or api == "auto"

    def describe(self) -> dict[str, Any]:
        import openai

        return {"name": self.name, "model": self.model, "base_url": self.base_url, "api": self.api,
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
            raise BackendError(f"{self.base_url or 'OpenAI'}: {type(e).__name__}: {e} "
                               f"(max_retries={self.max_retries})") from None
        return _completions(resp, chat)


def _completions(resp: Any, chat: bool) -> list[Completion]:
    choices = sorted(resp.choices, key=lambda c: c.index)
    total = getattr(resp.usage, "completion_tokens", None) if resp.usage else None
    out = []
    for i, c in enumerate(choices):
        text = (c.message.content or "") if chat else (c.text or "")
        tokens = None
        if total is not None and choices:
            tokens = total // len(choices) + (1 if i < total % len(choices) else 0)
        out.append(Completion(text, c.finish_reason, tokens))
    return out
