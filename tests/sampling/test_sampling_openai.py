"""OpenAI-compatible backend against a small real HTTP server on 127.0.0.1 (retries, n, concurrency).

The slow test against `vllm serve` is in test_sampling_slow.py.
"""

from __future__ import annotations

import json
import random
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from mathdistill.errors import BackendError, ConfigError
from mathdistill.sampling.base import GenerationRequest, SamplingParams

pytest.importorskip("openai")

from mathdistill.sampling.backends.openai_backend import OpenAIBackend, backoff_delay


class Server:
    """Scripted OpenAI-compatible server: `errors` are returned first, one per call."""

    def __init__(self):
        self.errors: list[int] = []
        self.reject_n = False
        self.delay_s = 0.0
        self.calls: list[dict] = []
        self.inflight = self.max_inflight = 0
        self.lock = threading.Lock()
        srv = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                with srv.lock:
                    srv.calls.append({"path": self.path, **body})
                    err = srv.errors.pop(0) if srv.errors else None
                    srv.inflight += 1
                    srv.max_inflight = max(srv.max_inflight, srv.inflight)
                try:
                    time.sleep(srv.delay_s)
                    if err is None and srv.reject_n and body.get("n", 1) > 1:
                        err = 400
                    if err is not None:
                        return self._send(err, {"error": {"message": f"scripted {err}", "type": "x"}},
                                          {"Retry-After": "0"} if err == 429 else {})
                    n = body.get("n", 1)
                    chat = self.path.endswith("/chat/completions")
                    choices = [{"index": i, "finish_reason": "stop", "logprobs": None,
                                **({"message": {"role": "assistant", "content": f"So \\boxed{{{i + 1}}}"}} if chat
                                   else {"text": f"So \\boxed{{{i + 1}}}"})} for i in range(n)]
                    self._send(200, {"id": "x", "object": "chat.completion" if chat else "text_completion",
                                     "created": 0, "model": body["model"], "choices": choices,
                                     "usage": {"prompt_tokens": 5, "completion_tokens": 4 * n,
                                               "total_tokens": 5 + 4 * n}})
                finally:
                    with srv.lock:
                        srv.inflight -= 1

            def _send(self, code, obj, headers=None):
                data = json.dumps(obj).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(data)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()


@pytest.fixture
def server():
    s = Server()
    yield s
    s.httpd.shutdown()


def backend(server, **kw) -> OpenAIBackend:
    return OpenAIBackend("teacher", base_url=server.url, backoff_base_s=0.01, backoff_max_s=0.05, **kw)


def req(n=1, chat=False, seed=5) -> GenerationRequest:
    msgs = [{"role": "user", "content": "1+1?"}] if chat else None
    return GenerationRequest("Q: 1+1?\nA:", SamplingParams(n=n, max_tokens=8, seed=seed, stop=["\nQ:"]), msgs)


def test_backoff_policy_is_capped_exponential_with_jitter():
    rng = random.Random(0)
    for attempt in range(8):
        cap = min(4.0, 0.5 * 2 ** attempt)
        d = backoff_delay(attempt, 0.5, 4.0, rng=rng)
        assert cap / 2 <= d <= cap
    assert backoff_delay(3, 0.5, 4.0, retry_after=1.5) == 1.5
    assert backoff_delay(3, 0.5, 4.0, retry_after=100) == 4.0


def test_retries_429_and_5xx_then_succeeds(server):
    server.errors = [429, 503, 500]
    b = backend(server)
    out = b.generate([req(n=2)])
    assert [c.text for c in out[0]] == ["So \\boxed{1}", "So \\boxed{2}"]
    assert b.retries == 3 and len(server.calls) == 4
    assert out[0][0].num_tokens == 4 and out[0][0].finish_reason == "stop"
    assert server.calls[-1]["path"].endswith("/completions") and server.calls[-1]["stop"] == ["\nQ:"]
    assert server.calls[-1]["seed"] == 5


def test_gives_up_after_max_retries_with_one_line_error(server):
    server.errors = [503] * 10
    with pytest.raises(BackendError, match=r"InternalServerError.*max_retries=2"):
        backend(server, max_retries=2).generate([req()])
    assert len(server.calls) == 3


def test_client_errors_are_not_retried(server):
    server.errors = [401]
    with pytest.raises(BackendError, match="AuthenticationError"):
        backend(server).generate([req()])
    assert len(server.calls) == 1


def test_server_without_n_gets_a_loop(server):
    server.reject_n = True
    b = backend(server)
    out = b.generate([req(n=3, chat=True), req(n=2, chat=True)])
    assert [len(o) for o in out] == [3, 2] and b.n_supported is False
    assert all(c["path"].endswith("/chat/completions") for c in server.calls)
    # both concurrent requests may try n > 1 once; then 3 + 2 single calls with per-completion seeds
    singles = [c for c in server.calls if c["n"] == 1]
    assert 1 <= len(server.calls) - len(singles) <= 2
    assert sorted(c.get("seed") for c in singles) == [5, 5, 6, 6, 7]
    server.calls.clear()
    assert len(b.generate([req(n=2, chat=True)])[0]) == 2
    assert [c["n"] for c in server.calls] == [1, 1]  # the server's answer is remembered


def test_concurrency_is_limited(server):
    server.delay_s = 0.05
    b = backend(server, concurrency=3)
    out = b.generate([req() for _ in range(12)])
    assert len(out) == 12 and 1 < server.max_inflight <= 3


def test_api_key_from_env(monkeypatch, server):
    monkeypatch.delenv("MY_KEY", raising=False)
    with pytest.raises(ConfigError, match=r"\$MY_KEY"):
        OpenAIBackend("gpt-4o", base_url="https://api.example.com/v1", api_key_env="MY_KEY")
    monkeypatch.setenv("MY_KEY", "sk-test")
    assert OpenAIBackend("gpt-4o", base_url="https://api.example.com/v1", api_key_env="MY_KEY")._key == "sk-test"


def test_runner_through_the_server(server, tmp_path):
    from mathdistill.io.jsonl import read_jsonl
    from mathdistill.records import Problem
    from mathdistill.sampling.config import SampleConfig
    from mathdistill.sampling.runner import run_sampling

    cfg = SampleConfig(out=str(tmp_path / "o"), backend="openai", model="teacher", strategy="uniform",
                       k_correct=1, max_trials=4, template="boxed_cot", progress=False, grading_workers=1,
                       backend_options={"base_url": server.url, "backoff_base_s": 0.01})
    probs = [Problem("a", "1+0?", "1"), Problem("b", "1+1?", "2"), Problem("c", "9+9?", "18")]
    run_sampling(cfg, problems=probs)
    stats = {r["problem_id"]: r for _, r in read_jsonl(tmp_path / "o" / "stats.jsonl")}
    assert stats["a"]["trials"] == 1 and stats["a"]["stop_reason"] == "k_reached"
    assert stats["b"]["stop_reason"] == "max_trials" and stats["c"]["trials"] == 4
    # requests run concurrently, so the server sees them in any order
    assert any(c["messages"][-1]["content"].startswith("1+0?") for c in server.calls)
