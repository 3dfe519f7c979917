"""Reasoning fields from an OpenAI-compatible server: a scripted server on 127.0.0.1 (real HTTP, real
openai client) for the edge cases. The real vLLM server with --reasoning-parser is test_longcot_slow.py."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from mathdistill.io.jsonl import read_jsonl
from mathdistill.records import Problem
from mathdistill.sampling.base import GenerationRequest, SamplingParams

pytest.importorskip("openai")

from mathdistill.sampling.backends.openai_backend import OpenAIBackend

# question marker -> (message fields, finish_reason, reasoning tokens reported in usage)
SCRIPT = {
    "Q1": ({"content": "The answer is 4.", "reasoning_content": "2+2 is 4"}, "stop", 3),  # vLLM <= 0.10, DeepSeek
    "Q2": ({"content": "The answer is 4.", "reasoning": "2+2 is 4"}, "stop", 3),  # vLLM now, OpenRouter
    "Q3": ({"content": "", "reasoning_content": "2+2 is... so \\boxed{4}"}, "length", 8),  # no answer: truncated
    "Q4": ({"content": None, "reasoning": "thinking \\boxed{4}"}, "stop", 0),  # content null, count unknown
    "Q5": ({"content": "<think>maybe \\boxed{5}</think>The answer is 4."}, "stop", None),  # no parser: raw tags
    "Q6": ({"content": "The answer is 4.", "reasoning": ""}, "stop", None),  # "" = no reasoning
}


class Server:
    def __init__(self):
        self.calls: list[dict] = []
        srv = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                srv.calls.append(body)
                text = json.dumps(body.get("messages") or body.get("prompt"))
                key = next(k for k in SCRIPT if k in text)
                fields, finish, rtok = SCRIPT[key]
                n = body.get("n", 1)
                choices = [{"index": i, "finish_reason": finish, "logprobs": None,
                            "message": {"role": "assistant", **fields}} for i in range(n)]
                usage = {"prompt_tokens": 5, "completion_tokens": 10 * n, "total_tokens": 5 + 10 * n}
                if rtok is not None:
                    usage["completion_tokens_details"] = {"reasoning_tokens": rtok * n}
                data = json.dumps({"id": "x", "object": "chat.completion", "created": 0, "model": body["model"],
                                   "choices": choices, "usage": usage}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
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


def _req(q: str, n: int = 1) -> GenerationRequest:
    return GenerationRequest(q, SamplingParams(n=n, max_tokens=16, seed=1), [{"role": "user", "content": q}])


def test_backend_reads_reasoning_fields(server):
    b = OpenAIBackend("teacher", base_url=server.url)
    out = b.generate([_req(q) for q in SCRIPT] + [_req("Q1", n=2)])
    c1, c2, c3, c4, c5, c6, pair = out
    assert (c1[0].text, c1[0].reasoning, c1[0].reasoning_closed, c1[0].reasoning_tokens) == \
        ("The answer is 4.", "2+2 is 4", True, 3)
    assert (c2[0].reasoning, c2[0].reasoning_closed) == ("2+2 is 4", True)
    assert (c3[0].text, c3[0].reasoning_closed, c3[0].finish_reason) == ("", False, "length")
    assert (c4[0].text, c4[0].reasoning_closed, c4[0].reasoning_tokens) == ("", False, None)
    assert not c5[0].split and c5[0].text.startswith("<think>")  # left to the completion -> Sample step
    assert not c6[0].split and c6[0].text == "The answer is 4."
    assert [c.reasoning_tokens for c in pair] == [3, 3]  # the usage total split across choices


def test_sampling_run_records_grades_and_counts(server, tmp_path):
    from mathdistill.sampling.config import SampleConfig
    from mathdistill.sampling.runner import run_sampling

    out = tmp_path / "o"
    cfg = SampleConfig(out=str(out), backend="openai", model="teacher", strategy="vanilla", k=2,
                       template="boxed_cot", progress=False, grading_workers=1, reasoning="deepseek-r1",
                       backend_options={"base_url": server.url})
    probs = [Problem(f"p{i}", f"{q}: what is 2+2?", "4") for i, q in enumerate(SCRIPT, 1)]
    summary = run_sampling(cfg, problems=probs)
    rows = {(d["problem_id"], d["sample_idx"]): d for _, d in read_jsonl(out / "samples.jsonl")}
    r1, r3, r4, r5, r6 = rows["p1", 0], rows["p3", 0], rows["p4", 0], rows["p5", 0], rows["p6", 0]
    assert r1["reasoning"] == "2+2 is 4" and r1["reasoning_closed"] is True and r1["correct"] is True
    assert r1["response"] == "The answer is 4." and r1["reasoning_tokens"] == 3
    assert r3["reasoning_closed"] is False and r3["correct"] is False and r3["error"] == "truncated"
    assert r3["pred"] is None  # never read from inside the thinking, though it holds \boxed{4}
    assert r4["error"] == "truncated" and r4["reasoning_tokens"] == 10  # unclosed: all generated tokens
    # No server parser: our splitter, with the family's tags.
    assert r5["reasoning"] == "maybe \\boxed{5}" and r5["response"] == "The answer is 4." and r5["correct"]
    # deepseek-r1 pre-fills <think> (a chat API: the preset's default), so an output with no tag at all
    # and a stop is a reasoning that never closed: truncated, and counted as a mismatch.
    assert r6["reasoning_closed"] is False and r6["error"] == "truncated"
    stats = {d["problem_id"]: d for _, d in read_jsonl(out / "stats.jsonl")}
    assert [stats[f"p{i}"]["truncated"] for i in range(1, 7)] == [0, 0, 2, 2, 0, 2]
    assert summary["truncated"] == 6
    run = json.loads((out / "run.json").read_text())
    assert run["prompt"]["reasoning"]["family"] == "deepseek-r1"
    assert run["reasoning_warnings"] == {"unclosed_at_stop": 4}  # p4 (content null, stop) and p6


def test_short_cot_runs_are_unchanged(server, tmp_path):
    """`auto` on a model that is no reasoning model: nothing split, nothing recorded."""
    from mathdistill.sampling.config import SampleConfig
    from mathdistill.sampling.runner import run_sampling

    out = tmp_path / "o"
    cfg = SampleConfig(out=str(out), backend="openai", model="teacher", k=1, template="boxed_cot",
                       progress=False, grading_workers=1, backend_options={"base_url": server.url})
    run_sampling(cfg, problems=[Problem("p6", "Q6: 2+2?", "4")])
    (_, row), = read_jsonl(out / "samples.jsonl")
    assert row["response"] == "The answer is 4." and "reasoning" not in row and "reasoning_closed" not in row
    assert "reasoning" not in json.loads((out / "run.json").read_text())["prompt"]


@pytest.mark.parametrize(("reasoning", "content", "want"), [
    ("\n2+2=4\n", "\n\nThe answer is 4. ", ("The answer is 4.", "2+2=4", True)),
    ("r", "", ("", "r", False)),  # reasoning but no content: truncated (the server cannot say more)
    # vLLM's parsers stop the reasoning at the first closing tag; a second block is re-split by our rule.
    ("r1", "maybe 5<think>r2</think>The answer is 4.", ("The answer is 4.", "r1</think>maybe 5<think>r2", True)),
    ("r1", "maybe 5<think>r2", ("", "r1</think>maybe 5<think>r2", False)),
    ("r1", "x</think>", ("", "r1</think>x", True)),  # closed, empty answer: no answer, not truncated
])
def test_server_split(reasoning, content, want):
    from mathdistill.sampling.backends.openai_backend import server_split

    assert server_split(reasoning, content) == want
