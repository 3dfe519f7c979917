"""Scorer interface: scores files, plain callables, import paths and pluggable loaders."""

from __future__ import annotations

import json

import pytest

from mathdistill.errors import MathdistillError
from mathdistill.inference import scorer as S
from mathdistill.records import Problem, Sample

PROB = Problem(id="p1", question="What is 2+2?", answer="4")
SAMPLES = [Sample(problem_id="p1", sample_idx=i, prompt="", response=r) for i, r in
           enumerate(["2+2=4 so \\boxed{4}", "\\boxed{5}", "\\boxed{4}"])]


def length_scorer(question: str, response: str) -> float:
    return 1.0 / (1.0 + len(response))


def test_scores_file_lookup_and_coverage(tmp_path):
    p = tmp_path / "s.jsonl"
    p.write_text("".join(json.dumps(d) + "\n" for d in [
        {"problem_id": "p1", "sample_idx": 0, "score": 0.9, "extra": "ignored"},
        {"problem_id": "p1", "sample_idx": 2, "score": 0.4}]))
    sc = S.load_scorer(str(p))
    assert isinstance(sc, S.ScoresFile)
    assert sc.score(PROB, SAMPLES) == [0.9, None, 0.4]
    assert sc.coverage(SAMPLES) == pytest.approx(2 / 3)


@pytest.mark.parametrize("line,field", [
    ('{"problem_id": "p1", "score": 0.5}', "sample_idx"),
    ('{"problem_id": "p1", "sample_idx": "0", "score": 0.5}', "sample_idx"),
    ('{"problem_id": "p1", "sample_idx": 0, "score": "high"}', "score"),
])
def test_scores_file_errors_name_line_and_field(tmp_path, line, field):
    p = tmp_path / "bad.jsonl"
    p.write_text('{"problem_id": "p0", "sample_idx": 0, "score": 0.1}\n' + line + "\n")
    with pytest.raises(MathdistillError, match=rf"bad.jsonl:2: field '{field}'"):
        S.load_scorer(str(p))


def test_callable_and_import_path_scorers():
    direct = S.load_scorer(length_scorer)
    got = direct.score(PROB, SAMPLES)
    assert got == [length_scorer(PROB.question, s.response) for s in SAMPLES]
    imported = S.load_scorer(f"{__name__}:length_scorer")
    assert imported.score(PROB, SAMPLES) == got
    with pytest.raises(MathdistillError, match="cannot import"):
        S.load_scorer(f"{__name__}:nope")
    bad = S.load_scorer(lambda q, r: "high")
    with pytest.raises(MathdistillError, match="score must be a number"):
        bad.score(PROB, SAMPLES)


def test_registered_loader_takes_precedence(tmp_path):
    ranker_dir = tmp_path / "ranker"
    ranker_dir.mkdir()
    (ranker_dir / "ranker_config.json").write_text("{}")
    loader = S.ScorerLoader("test-ranker-dir", lambda spec: (tmp_path / "ranker" / "ranker_config.json").exists()
                            and spec == str(ranker_dir), lambda spec: S.CallableScorer(length_scorer, name=spec))
    S.register_scorer_loader(loader)
    try:
        sc = S.load_scorer(str(ranker_dir))
        assert sc.name == str(ranker_dir)
    finally:
        S.SCORER_LOADERS[:] = [x for x in S.SCORER_LOADERS if x.name != "test-ranker-dir"]
    with pytest.raises(MathdistillError, match="not a scores file or a known ranker"):
        S.load_scorer(str(ranker_dir))
    # A higher stage hands its loader in (eval passes the trained ranker's); nothing stays registered.
    sc = S.load_scorer(str(ranker_dir), loaders=[loader])
    assert sc.name == str(ranker_dir) and loader not in S.SCORER_LOADERS
    with pytest.raises(MathdistillError, match="no such file"):
        S.load_scorer(str(tmp_path / "missing.jsonl"))
