"""Eval of a reasoning model (scripted outputs with think tags): grading reads only the answer, the
results carry truncation rate and mean response / reasoning tokens, and the HTML report shows them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mathdistill.eval.config import EvalConfig
from mathdistill.eval.pipeline import run_eval
from mathdistill.sampling.backends.fake import FakeBackend

PROBLEMS = [{"id": f"p{i}", "question": f"Q{i}: compute {i}+{i}", "answer": str(2 * i)} for i in range(1, 4)]


def _script(i: int) -> list[str]:
    right, wrong = 2 * i, 2 * i + 1
    return [
        f"<think>try \\boxed{{{wrong}}} no wait</think> The answer is {right}.",  # greedy
        f"<think>so {right}</think> The answer is {right}.",
        f"<think>so {right}</think> The answer is {wrong}.",  # right inside the thinking: still wrong
        f"<think>it is \\boxed{{{right}}} but let me check again and again",  # cut: truncated
        f"<think>{right}</think>",  # nothing after the reasoning: no answer
    ]


@pytest.fixture(scope="module")
def eval_dir(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("longcot_eval")
    data = tmp / "probs.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in PROBLEMS))
    out = tmp / "run"
    cfg = EvalConfig(model="r1-teacher", backend="fake", data=[str(data)], n=4, out=str(out), grade_workers=1,
                     n_boot=50, reasoning="qwen3", max_new_tokens=8, temperature=0.6)
    run_eval(cfg, backend_factory=lambda: FakeBackend(script={f"Q{i}:": _script(i) for i in range(1, 4)}),
             progress=False)
    return out


def test_metrics(eval_dir):
    m = json.loads((eval_dir / "results.json").read_text())["metrics"]["probs"]
    assert m["greedy"]["value"] == 1.0  # the wrong \boxed inside the thinking is not read
    assert m["mean@n"]["value"] == pytest.approx(1 / 4)
    assert m["truncation_rate"] == pytest.approx(1 / 4)
    assert m["extraction_failure_rate"] == pytest.approx(2 / 4)  # the truncated one and the empty answer
    # fake backend: a token is a word, cut at 8; the truncated sample's reasoning is all it generated
    assert m["mean_response_tokens"] == pytest.approx((6 + 6 + 8 + 1) / 4)
    assert m["mean_reasoning_tokens"] == pytest.approx(8)  # only the unclosed one knows (no tokenizer)


def test_samples_keep_the_parts(eval_dir):
    rows = [json.loads(line) for line in (eval_dir / "samples.jsonl").read_text().splitlines()]
    sampled = [r for r in rows if r["meta"].get("mode") == "sampled" and r["problem_id"] == "p1"]
    by = {r["sample_idx"]: r for r in sampled}
    assert by[0]["reasoning"] == "so 2" and by[0]["response"] == "The answer is 2." and by[0]["correct"]
    assert by[2]["reasoning_closed"] is False and by[2]["error"] == "truncated" and by[2]["pred"] is None
    assert by[3]["reasoning_closed"] is True and by[3]["response"] == "" and by[3]["error"] == "extract_failed"


def test_report_shows_tokens_and_reasoning(eval_dir):
    from mathdistill.report.html import build_html
    from mathdistill.report.loaders import load_run

    html = build_html([load_run(eval_dir)])
    assert "response tokens (mean)" in html and "reasoning tokens (mean)" in html
    assert "reasoning (never closed, 8 tokens)" in html and "reasoning (closed)" in html
    assert "v-truncated" in html
