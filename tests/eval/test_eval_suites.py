"""Repeated sampling as syntax (`--data aime25:64,math500:4`), suites, avg@n with its spread across runs,
multiple-choice and reasoning-gym sets through eval (scripted fake backend)."""

from __future__ import annotations

import json

import pytest

from mathdistill.data.benchmarks import SUITES
from mathdistill.data.registry import DataSpec
from mathdistill.data.sources import SOURCES, load_problems
from mathdistill.errors import ConfigError
from mathdistill.eval.config import EvalConfig
from mathdistill.eval.metrics import run_spread
from mathdistill.eval.pipeline import plan, run_eval
from mathdistill.sampling.backends.fake import FakeBackend


def _write(path, rows):
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def test_specs_and_suites():
    cfg = EvalConfig(data=["aime25:64", "math500:4", "gsm8k"], n=3)
    assert cfg.data_specs == [DataSpec("aime25", 64), DataSpec("math500", 4), DataSpec("gsm8k")]
    assert [cfg.n_for(d) for d in cfg.data_specs] == [64, 4, 3]
    r = EvalConfig(suite="reasoning")
    assert [d.source for d in r.data_specs] == SUITES["reasoning"]
    assert {d.source: d.n for d in r.data_specs}["aime24"] == SOURCES["aime24"].n == 64
    assert {d.source: d.n for d in r.data_specs}["gpqa_diamond"] == 8
    assert all(d.n == 1 for d in EvalConfig(suite="dart").data_specs)


@pytest.mark.parametrize("data,msg", [
    (["aime25:0"], "samples per problem must be >= 1, got 0"),
    (["aime25:-1"], "samples per problem must be >= 1, got -1"),
    (["aime25:abc"], "expected aime25:N with N a whole number"),
    (["aime2025"], "unknown data source 'aime2025' (did you mean aime25"),
])
def test_bad_specs_refused_at_config(data, msg):
    with pytest.raises(ConfigError) as e:
        EvalConfig(data=data)
    assert msg in str(e.value) and "\n" not in str(e.value)


def test_unknown_suite():
    with pytest.raises(ConfigError, match="suite must be one of reasoning, dart"):
        EvalConfig(suite="reason")


def test_plan_shows_suite_n_and_settings(tmp_path):
    p = plan(EvalConfig(suite="reasoning", model="smollm2", limit=2, data_dir=str(tmp_path), max_new_tokens=512))
    rows = {r["dataset"]: r for r in p["datasets"]}
    assert list(rows) == SUITES["reasoning"]
    assert rows["aime25"]["n"] == 64 and rows["math500"]["n"] == 4 and rows["aime25"]["limit"] == 2
    assert rows["aime25"]["from"] == str(tmp_path / "aime25.jsonl")
    assert p["sampling"]["max_tokens"] == 512 and p["sampling"]["n_per_dataset"]["amc23"] == 16


def test_run_spread():
    s = run_spread([[True, False], [True, True]])
    assert s["per_run"] == [1.0, 0.5] and s["mean"] == 0.75 and s["std"] == pytest.approx(0.5 ** 0.5 / 2)
    assert run_spread([[True], [False]]) is None and run_spread([[True, False], [True]]) is None


TOY = [{"id": "a", "question": "QA: 1?", "answer": "1"}, {"id": "b", "question": "QB: 2?", "answer": "2"}]
# greedy first, then the samples in order: run 0 is all right, run 1 gets QA wrong.
SCRIPT = {"QA": ["\\boxed{1}", "\\boxed{1}", "\\boxed{7}"], "QB": ["\\boxed{2}", "\\boxed{2}", "\\boxed{2}"]}


def test_per_dataset_n_avg_and_spread(tmp_path):
    a = _write(tmp_path / "toya.jsonl", TOY)
    b = _write(tmp_path / "toyb.jsonl", TOY)
    cfg = EvalConfig(model="toy", backend="fake", data=[f"{a}:2", str(b)], n=3, out=str(tmp_path / "run"),
                     grade_workers=1, n_boot=100, max_new_tokens=50)
    doc = run_eval(cfg, backend_factory=lambda: FakeBackend(script=SCRIPT), progress=False)
    ma, mb = doc["metrics"]["toya"], doc["metrics"]["toyb"]
    assert ma["n"] == 2 and mb["n"] == 3
    assert ma["mean@n"]["value"] == pytest.approx(0.75) and ma["mean@n"]["ci"] is not None
    assert ma["runs"]["per_run"] == [1.0, 0.5] and ma["runs"]["std"] == pytest.approx(0.3536, abs=1e-4)
    assert {"pass@1", "pass@2", "maj@1", "maj@2"} <= set(ma) and "pass@3" in mb
    assert doc["run_metadata"]["sampling"]["n_per_dataset"] == {"toya": 2, "toyb": 3}


def test_multiple_choice_through_eval(tmp_path):
    row = {"Record ID": "r1", "Question": "Which is right?", "Correct Answer": "forty-two",
           "Incorrect Answer 1": "one", "Incorrect Answer 2": "two", "Incorrect Answer 3": "three",
           "Explanation": "", "Subdomain": "Physics (general)", "High-level domain": "Physics"}
    _write(tmp_path / "gpqa_diamond.jsonl", [row])
    (p,) = load_problems("gpqa_diamond", "test", data_dir=tmp_path, seed=5)
    wrong = "ABCD"["ABCD".index(p.answer) - 1]
    script = {"Which is right": [f"The answer is ({p.answer}).", f"The answer is ({p.answer})", f"Answer: {wrong}"]}
    cfg = EvalConfig(model="toy", backend="fake", data=["gpqa_diamond:2"], data_dir=str(tmp_path), seed=5,
                     out=str(tmp_path / "run"), grade_workers=1, n_boot=50, max_new_tokens=50)
    doc = run_eval(cfg, backend_factory=lambda: FakeBackend(script=script), progress=False)
    m = doc["metrics"]["gpqa_diamond"]
    assert m["greedy"]["value"] == 1.0 and m["mean@n"]["value"] == 0.5
    assert m["per_subject"]["Physics (general)"]["n_problems"] == 1
    samples = [json.loads(x) for x in (tmp_path / "run" / "samples.jsonl").read_text().splitlines()]
    assert all(s["meta"]["choices"] == p.meta["choices"] and s["answer"] == p.answer for s in samples)


def test_reasoning_gym_through_eval(tmp_path):
    pytest.importorskip("reasoning_gym")
    src = "rg:chain_sum:max_terms=2:size=4"
    probs = load_problems(src, "test")
    script = {p.question: [f"\\boxed{{{p.answer}}}", f"So it is \\boxed{{{p.answer}}}.", "\\boxed{999999}"]
              for p in probs}
    cfg = EvalConfig(model="toy", backend="fake", data=[f"{src}:2"], out=str(tmp_path / "run"), grade_workers=1,
                     n_boot=50, max_new_tokens=50)
    doc = run_eval(cfg, backend_factory=lambda: FakeBackend(script=script), progress=False)
    m = doc["metrics"][src]
    assert m["n_problems"] == 4 and m["n"] == 2 and m["mean@n"]["value"] == 0.5
    assert m["runs"]["per_run"] == [1.0, 0.0]
    a = m["verifier_agreement"]
    assert a["n"] == 8 and a["agree"] == 8 and a["rate"] == 1.0
