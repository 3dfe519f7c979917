"""A deterministic scripted backend for unit tests of orchestration (never the only test).

`script` maps a substring of the prompt to a list of responses, returned in turn
(cycling); prompts matching nothing get `default`. Responses are a pure function of
(prompt, seed, index), so reruns are reproducible.

With `logprobs` asked, each word is a token: its id a hash of the word in a vocabulary of 1,000,
its top-K that id and the next ones, with made-up log-probs (for the sidecar's orchestration tests).

`by_seed=True` picks response `(seed + j) % len(script[key])` for the j-th completion of a
request instead of a per-key counter, so a resumed run in a fresh process asks for and gets
the same responses; `delay_s` sleeps per request (to kill a run mid-way in tests).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from mathdistill.sampling.base import Backend, Completion, GenerationRequest


class FakeBackend(Backend):
    name = "fake"
    loads_local_weights = False

    def __init__(self, model: str = "fake", script: dict[str, list[str]] | None = None,
                 default: str = "I do not know.", by_seed: bool = False, delay_s: float = 0.0, **_: Any):
        self.model = model
        self.by_seed = by_seed
        self.delay_s = delay_s
        self.script = script or {}
        self.default = default
        self.calls: list[GenerationRequest] = []
        self._counters: dict[str, int] = {}

    @classmethod
    def max_logprobs(cls, options: Any) -> int | None:
        return 20

    def generate(self, requests: Sequence[GenerationRequest]) -> list[list[Completion]]:
        out = []
        for r in requests:
            self.calls.append(r)
            key = next((k for k in self.script if k in r.prompt), None)
            if self.delay_s:
                import time

                time.sleep(self.delay_s)
            comps = []
            for j in range(r.params.n):
                if key is None:
                    text = self.default
                elif self.by_seed and r.params.seed is not None:
                    text = self.script[key][(r.params.seed + j) % len(self.script[key])]
                else:
                    i = self._counters.get(key, 0)
                    self._counters[key] = i + 1
                    text = self.script[key][i % len(self.script[key])]
                words = text.split()
                finish = "length" if len(words) > r.params.max_tokens else "stop"
                comps.append(Completion(" ".join(words[: r.params.max_tokens]) if finish == "length" else text,
                                        finish, min(len(words), r.params.max_tokens)))
                if r.params.logprobs:
                    comps[-1].logprobs = _fake_logprobs(words[: r.params.max_tokens], r.params.logprobs)
            out.append(comps)
        return out


def _fake_logprobs(words: list[str], k: int) -> Any:
    import zlib

    from mathdistill.store.logprobs import TokenLogprobs

    ids = [zlib.crc32(w.encode()) % 1000 for w in words]
    top = [[(t + j) % 1000 for j in range(k)] for t in ids]
    lps = [[-0.5 - j for j in range(k)] for _ in ids]
    return TokenLogprobs(ids, [-0.5] * len(ids), top, lps)
