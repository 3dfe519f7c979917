"""Eval orchestration with the scripted fake backend: caching/resume, from-samples, ASC, CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mathdistill.eval.config import EvalConfig
from mathdistill.eval.pipeline import run_eval, run_from_samples
from mathdistill.sampling.backends.fake import FakeBackend

PROBLEMS = [
    {"id": "half", "question": "QHALF: what is one half?", "answer": "\\frac{1}{2}"},
    {"id": "seven", "question": "QSEVEN: what is 3+4?", "answer": "7"},
    {"id": "none", "question": "QNONE: unanswerable?", "answer": "42"},
]
# First response of each script goes to the greedy pass, the next four to the samples.
SCRIPT = {
    "QHALF": ["\\boxed{0.5}", "\\boxed{1/2}", "\\boxed{3}", "\\boxed{0.5}", "\\boxed{3}"],
    "QSEVEN": ["\\boxed{8}", "\\boxed{7}", "\\boxed{8}", "\\boxed{8}", "\\boxed{7.0}"],
    # Prose with no answer in it (grader 2.0 takes a bare two-word reply such as "no idea" whole).
    "QNONE": ["I have no idea.", "I have no idea.", "\\boxed{41}", "I still have no idea.", "I have no idea."],
}


@pytest.fixture()
def data_file(tmp_path: Path) -> str:
    p = tmp_path / "toy.jsonl"
    p.write_text("".join(json.dumps(r) + "\n" for r in PROBLEMS))
    return str(p)


class Counting:
    """Backend factory that counts generated completions."""

    def __init__(self):
        self.generated = 0

    def __call__(self):
        b = FakeBackend(script=SCRIPT)
        orig = b.generate

        def gen(reqs):
            self.generated += sum(r.params.n for r in reqs)
            return orig(reqs)

        b.generate = gen  # type: ignore[method-assign]
        return b


def _cfg(data_file: str, out: Path, **kw) -> EvalConfig:
    base = {"model": "toy", "backend": "fake", "data": [data_file], "n": 4, "temperature": 0.7, "max_new_tokens": 50,
                "out": str(out), "grade_workers": 1, "batch_size": 2, "n_boot": 200}
    base.update(kw)
    return EvalConfig(**base)


def test_metrics_from_scripted_samples(data_file, tmp_path):
    doc = run_eval(_cfg(data_file, tmp_path / "run"), backend_factory=Counting(), progress=False)
    m = doc["metrics"]["toy"]
    assert m["n_problems"] == 3 and m["n"] == 4
    assert m["greedy"]["value"] == pytest.approx(1 / 3)  # only 0.5 == 1/2
    # half: 1/2, 3, 0.5, 3 -> 2 correct; seven: 7, 8, 8, 7.0 -> 2; none: 0
    assert m["mean@n"]["value"] == pytest.approx((2 / 4 + 2 / 4 + 0) / 3)
    assert m["pass@4"]["value"] == pytest.approx(2 / 3)
    # maj@4: half = tie {1/2,0.5} vs {3} 2-2 -> 0.5; seven = tie {7,7.0} vs {8} -> 0.5; none 0
    assert m["maj@4"]["value"] == pytest.approx((0.5 + 0.5 + 0) / 3)
    assert {k for k in m if "@" in k} >= {"pass@1", "pass@2", "pass@4", "maj@1", "maj@2", "maj@4", "mean@n"}
    assert m["extraction_failure_rate"] == pytest.approx(3 / 12)
    for k in ("pass@2", "maj@2"):
        lo, hi = m[k]["ci"]
        assert lo <= m[k]["value"] <= hi
    out = tmp_path / "run"
    rows = [json.loads(x) for x in (out / "samples.jsonl").read_text().splitlines()]
    assert len(rows) == 3 * 5 and all(r["correct"] is not None for r in rows)
    assert {r["meta"]["mode"] for r in rows} == {"greedy", "sampled"}
    res = json.loads((out / "results.json").read_text())
    meta = res["run_metadata"]
    assert meta["config"]["n"] == 4 and meta["sampling"]["temperature"] == 0.7
    assert meta["prompt"]["toy"]["template"]["name"] == "boxed_cot"
    assert meta["versions"]["mathdistill"] and meta["grader"]
    assert (out / "config.yaml").exists() and (out / "per_problem.jsonl").exists()


def test_refused_eval_writes_nothing(data_file, tmp_path):
    """run_eval reads the problems and resolves the model before it makes its folder."""
    from mathdistill.errors import BackendError, DataError, MathdistillError

    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    out = tmp_path / "out"
    with pytest.raises(DataError, match="empty.jsonl: no problems"):
        run_eval(_cfg(data_file, out, data=[data_file, str(empty)]), Counting(), progress=False)
    assert not out.exists()
    with pytest.raises(MathdistillError, match="no such model folder"):
        run_eval(_cfg(data_file, out, backend="hf", model=str(tmp_path / "nomodel")), progress=False)
    assert not out.exists()

    def no_start():
        raise BackendError("the server is not up")

    with pytest.raises(BackendError, match="not up"):
        run_eval(_cfg(data_file, out), no_start, progress=False)
    assert not out.exists()


def test_rerun_uses_cache_and_resumes_after_kill(data_file, tmp_path):
    out = tmp_path / "run"
    first = Counting()
    doc1 = run_eval(_cfg(data_file, out), backend_factory=first, progress=False)
    assert first.generated == 3 * 5
    again = Counting()
    doc2 = run_eval(_cfg(data_file, out), backend_factory=again, progress=False)
    assert again.generated == 0  # everything came from generations/
    assert doc2["metrics"] == doc1["metrics"]
    # Simulate kill -9 mid-write: drop the last two rows of the sampled cache, leave a torn line.
    cache = next((out / "generations").glob("toy.sampled.*.jsonl"))
    lines = cache.read_text().splitlines(keepends=True)
    cache.write_text("".join(lines[:-2]) + lines[-2][: len(lines[-2]) // 2])
    resumed = Counting()
    run_eval(_cfg(data_file, out), backend_factory=resumed, progress=False)
    assert resumed.generated == 2
    keys = [(r["problem_id"], r["sample_idx"]) for r in map(json.loads, cache.read_text().splitlines())]
    assert len(keys) == len(set(keys)) == 12
    # Different params -> a different cache file, old one untouched.
    other = Counting()
    run_eval(_cfg(data_file, out, temperature=0.9), backend_factory=other, progress=False)
    assert other.generated == 3 * 4
    assert len(list((out / "generations").glob("toy.sampled.*.jsonl"))) == 2


def test_from_samples_recomputes_without_model(data_file, tmp_path):
    doc = run_eval(_cfg(data_file, tmp_path / "run"), backend_factory=Counting(), progress=False)
    cfg2 = _cfg(data_file, tmp_path / "again", backend="nonexistent-backend")
    doc2 = run_from_samples(tmp_path / "run", cfg2)
    assert doc2["metrics"] == doc["metrics"]
    assert (tmp_path / "again" / "samples.jsonl").exists()
    doc3 = run_from_samples(tmp_path / "run", _cfg(data_file, tmp_path / "regraded"), regrade=True)
    assert doc3["metrics"] == doc["metrics"]


def test_asc_voting_with_scores_file(data_file, tmp_path):
    run_eval(_cfg(data_file, tmp_path / "run"), backend_factory=Counting(), progress=False)
    # Hand-made scores: trust the correct rationales of 'half', the wrong ones of 'seven'.
    scores = {("half", 0): 0.9, ("half", 1): 0.1, ("half", 2): 0.9, ("half", 3): 0.1,
              ("seven", 0): 0.1, ("seven", 1): 0.8, ("seven", 2): 0.8, ("seven", 3): 0.1}
    sf = tmp_path / "scores.jsonl"
    sf.write_text("".join(json.dumps({"problem_id": p, "sample_idx": i, "score": s}) + "\n"
                          for (p, i), s in scores.items()))
    cfg = _cfg(data_file, tmp_path / "asc", voting="asc", ranker=str(sf), asc_weight="all")
    doc = run_from_samples(tmp_path / "run", cfg)
    m = doc["metrics"]["toy"]
    assert m["maj@4"]["value"] == pytest.approx(1 / 3)
    # asc (w=s) @4: half 1.8 vs 0.2 -> right; seven 1.6 (8) vs 0.2 (7) -> wrong; none: missing scores -> 0
    assert m["asc@4"]["value"] == pytest.approx(1 / 3)
    assert m["asc(1+s)@4"]["value"] == pytest.approx(1 / 3)
    assert m["ranker_coverage"] == pytest.approx(8 / 12)
    per = [json.loads(x) for x in (tmp_path / "asc" / "per_problem.jsonl").read_text().splitlines()]
    half = next(r for r in per if r["problem_id"] == "half")
    seven = next(r for r in per if r["problem_id"] == "seven")
    assert half["metrics"]["asc@4"] == 1.0 and half["metrics"]["maj@4"] == 0.5
    assert seven["metrics"]["asc@4"] == 0.0 and seven["metrics"]["maj@4"] == 0.5


def test_bad_scores_file_names_line_and_field(data_file, tmp_path):
    from mathdistill.errors import DataError
    from mathdistill.inference.scorer import ScoresFile

    sf = tmp_path / "bad.jsonl"
    sf.write_text('{"problem_id": "a", "sample_idx": 0, "score": 0.5}\n{"problem_id": "a", "sample_idx": 1}\n')
    with pytest.raises(DataError, match=r"bad.jsonl:2: field 'score'"):
        ScoresFile(sf)


def test_cli_eval_and_from_samples(data_file, tmp_path):
    from typer.testing import CliRunner

    from mathdistill.cli.main import app

    runner = CliRunner()
    out = tmp_path / "cli"
    script = json.dumps({"script": SCRIPT})
    r = runner.invoke(app, ["eval", "--backend", "fake", "--model", "toy", "--data", data_file, "--n", "4",
                            "--limit", "2", "--out", str(out), "--grade-workers", "1", "--no-progress",
                            "--set", f"backend_kwargs={script}"])
    assert r.exit_code == 0, r.output
    assert "pass@4" in r.output and "maj@4" in r.output
    res = json.loads((out / "results.json").read_text())
    assert res["metrics"]["toy"]["n_problems"] == 2
    r2 = runner.invoke(app, ["eval", "--from-samples", str(out), "--out", str(tmp_path / "cli2")])
    assert r2.exit_code == 0, r2.output
    res2 = json.loads((tmp_path / "cli2" / "results.json").read_text())
    assert res2["metrics"] == res["metrics"]
    r3 = runner.invoke(app, ["eval", "--from-samples", str(tmp_path / "nowhere"), "--out", str(tmp_path / "x")])
    assert r3.exit_code != 0
