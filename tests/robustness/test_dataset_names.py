"""Two --data files that share a basename are two datasets, each graded with its own generations and
golds, and results.json says which file each name is (issue 23, wrong results 2)."""

from __future__ import annotations

import pytest
from eval_helpers import Counting, eval_cfg, write_problems

from mathdistill.errors import ConfigError
from mathdistill.eval.pipeline import run_eval


def test_same_basename_files_are_two_datasets(tmp_path):
    a = write_problems(tmp_path / "a" / "toy.jsonl", [{"id": "1", "question": "QA: 1+1?", "answer": "2"},
                                                      {"id": "2", "question": "QC: 3+3?", "answer": "6"}])
    b = write_problems(tmp_path / "b" / "toy.jsonl", [{"id": "1", "question": "QB: 2+2?", "answer": "4"}])
    other = write_problems(tmp_path / "c" / "other.jsonl", [{"id": "1", "question": "QD: 0+0?", "answer": "0"}])
    script = {"QA": ["\\boxed{2}"], "QB": ["\\boxed{5}"], "QC": ["\\boxed{6}"], "QD": ["\\boxed{0}"]}
    doc = run_eval(eval_cfg([a, b, other], tmp_path / "eval"), Counting(script), progress=False)
    names = list(doc["metrics"])
    assert len(names) == 3 and "other" in names  # only colliding names are changed
    (na,) = [n for n, d in doc["datasets"].items() if d["source"] == a]
    (nb,) = [n for n, d in doc["datasets"].items() if d["source"] == b]
    assert na != nb and na.startswith("toy-") and nb.startswith("toy-")
    assert doc["datasets"][na]["file"] == str((tmp_path / "a" / "toy.jsonl").resolve())
    assert doc["metrics"][na]["n_problems"] == 2 and doc["metrics"][na]["mean@n"]["value"] == 1.0
    assert doc["metrics"][nb]["n_problems"] == 1 and doc["metrics"][nb]["mean@n"]["value"] == 0.0
    assert doc["datasets"]["other"] == {"source": other, "file": str((tmp_path / "c" / "other.jsonl").resolve())}


def test_the_same_file_twice_is_refused_before_anything_is_written(tmp_path):
    a = write_problems(tmp_path / "toy.jsonl", [{"id": "1", "question": "QA: 1+1?", "answer": "2"}])
    with pytest.raises(ConfigError, match="given twice"):
        run_eval(eval_cfg([a, str(tmp_path / "." / "toy.jsonl")], tmp_path / "eval"), Counting({}), progress=False)
    assert not (tmp_path / "eval").exists()
