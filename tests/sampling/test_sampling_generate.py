"""The generation step sampling and eval share (`mathdistill.sampling.generate`)."""

import pytest

from mathdistill.errors import BackendError
from mathdistill.records import Problem
from mathdistill.sampling.backends.fake import FakeBackend
from mathdistill.sampling.base import SamplingParams
from mathdistill.sampling.generate import Prompts, Work, generate_batches

PROBS = [Problem("a", "QA", "1"), Problem("b", "QB", "2")]
PROMPTS = Prompts(PROBS, {"a": "prompt a", "b": "prompt b"}, {}, ["\n\n"], {})


def test_samples_carry_indices_seeds_and_meta():
    backend = FakeBackend(script={"prompt a": ["A0", "A1"], "prompt b": ["B"]})
    work = [Work("a", [3, 4], 7), Work("b", [0], 9)]
    params = SamplingParams(temperature=0.5, max_tokens=20)
    (chunk, samples, _), (chunk2, samples2, _) = generate_batches(backend, PROMPTS, work, params, batch=1,
                                                                  teacher="t", meta={"mode": "x"})
    assert [w.problem_id for w in chunk + chunk2] == ["a", "b"]
    assert [(s.problem_id, s.sample_idx, s.response, s.seed) for s in samples + samples2] == [
        ("a", 3, "A0", 7), ("a", 4, "A1", 7), ("b", 0, "B", 9)]
    assert samples[0].answer == "1" and samples[0].teacher == "t" and samples[0].temperature == 0.5
    assert samples[0].meta == {"mode": "x"} and samples[0].meta is not samples[1].meta
    assert [(r.params.n, r.params.stop, r.request_id) for r in backend.calls] == [(2, ["\n\n"], "a#3"),
                                                                                 (1, ["\n\n"], "b#0")]


class Short(FakeBackend):
    def generate(self, requests):
        return [comps[:-1] for comps in super().generate(requests)]


def test_a_wrong_completion_count_is_a_backend_error():
    with pytest.raises(BackendError, match=r"returned 1 completions for a#0, expected 2"):
        list(generate_batches(Short(), PROMPTS, [Work("a", [0, 1], 0)], SamplingParams(), batch=4, teacher="t"))


def test_eval_reports_a_short_backend_as_a_backend_error(tmp_path):
    from mathdistill.eval.config import EvalConfig
    from mathdistill.eval.pipeline import run_eval

    data = tmp_path / "toy.jsonl"
    data.write_text('{"id": "a", "question": "1+1?", "answer": "2"}\n')
    cfg = EvalConfig(model="toy", backend="fake", data=[str(data)], n=2, greedy=False, out=str(tmp_path / "run"),
                     grade_workers=1, n_boot=10)
    with pytest.raises(BackendError, match="expected 2"):
        run_eval(cfg, backend_factory=Short, progress=False)
