"""`--num-shards N --shard-index i` runs, merged with `mathdistill merge-samples`."""

from __future__ import annotations

import shutil

from typer.testing import CliRunner

from mathdistill.cli.main import app
from mathdistill.io.jsonl import read_jsonl
from mathdistill.data.sources import load_problems


def _sample(out, *extra):
    args = ["sample", "--data", "gsm8k", "--split", "test", "--limit", "5", "--model", "m", "--backend", "fake",
            "--k", "2", "--out", str(out), "--no-progress", "--grading-workers", "1", *extra]
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 0, res.output


def test_shards_cover_disjoint_problems_and_merge(tmp_path, data_dir):
    for i in range(2):
        _sample(tmp_path / f"s{i}", "--num-shards", "2", "--shard-index", str(i))
    res = CliRunner().invoke(app, ["merge-samples", str(tmp_path / "s0"), str(tmp_path / "s1"),
                                   "-o", str(tmp_path / "merged")])
    assert res.exit_code == 0, res.output
    rows = [r for _, r in read_jsonl(tmp_path / "merged" / "samples.jsonl")]
    keys = {(r["problem_id"], r["sample_idx"]) for r in rows}
    want = {p.id for p in load_problems("gsm8k", "test", data_dir=data_dir, limit=5)}
    assert len(rows) == len(keys) == 10 and {k[0] for k in keys} == want
    assert len(list(read_jsonl(tmp_path / "merged" / "stats.jsonl"))) == 5
    assert (tmp_path / "merged" / "run.json").exists()
    merged_problems = [r["id"] for _, r in read_jsonl(tmp_path / "merged" / "problems.jsonl")]
    assert sorted(merged_problems) == sorted(want)


def test_overlapping_shards_are_refused(tmp_path, data_dir):
    _sample(tmp_path / "s0", "--num-shards", "2", "--shard-index", "0")
    shutil.copytree(tmp_path / "s0", tmp_path / "copy")
    res = CliRunner().invoke(app, ["merge-samples", str(tmp_path / "s0"), str(tmp_path / "copy"),
                                   "-o", str(tmp_path / "merged")])
    assert res.exit_code != 0
    assert "shards overlap" in str(res.exception)
    assert not (tmp_path / "merged" / "samples.jsonl").exists()
