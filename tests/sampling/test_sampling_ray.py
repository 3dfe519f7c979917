"""`--ray`: problem shards over 2 local Ray actors, merged; rerun resumes (slow: Ray startup)."""

from __future__ import annotations

import pytest

from mathdistill.io.jsonl import read_jsonl
from mathdistill.sampling.config import SampleConfig

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def local_ray():
    ray = pytest.importorskip("ray")
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield ray
    ray.shutdown()


def test_ray_two_actors_shard_and_merge(local_ray, tmp_path, data_dir):
    from mathdistill.sampling.ray_runner import run_ray

    cfg = SampleConfig(data="gsm8k", split="test", limit=7, out=str(tmp_path / "run"), backend="fake",
                       model="fake", strategy="vanilla", k=2, ray=True, num_actors=2, progress=False,
                       grading_workers=1, template="boxed_cot",
                       backend_options={"by_seed": True, "script": {"Janet": ["\\boxed{18}", "\\boxed{2}"]}})
    summary = run_ray(cfg)
    rows = [r for _, r in read_jsonl(tmp_path / "run" / "samples.jsonl")]
    keys = [(r["problem_id"], r["sample_idx"]) for r in rows]
    assert sorted(keys) == sorted((f"gsm8k/test/{i}", j) for i in range(7) for j in range(2))
    shard0 = [r["problem_id"] for _, r in read_jsonl(tmp_path / "run" / "shards" / "shard-0" / "samples.jsonl")]
    shard1 = [r["problem_id"] for _, r in read_jsonl(tmp_path / "run" / "shards" / "shard-1" / "samples.jsonl")]
    assert set(shard0) == {f"gsm8k/test/{i}" for i in (0, 2, 4, 6)} and len(shard1) == 6
    assert summary["samples"] == 14 and summary["correct"] == 1 and summary["merged_samples"] == 14
    assert len(list(read_jsonl(tmp_path / "run" / "stats.jsonl"))) == 7
    # Rerun: every shard is complete, so nothing new is sampled and the merge is identical.
    before = (tmp_path / "run" / "samples.jsonl").read_text()
    assert run_ray(cfg)["samples"] == 14
    assert (tmp_path / "run" / "samples.jsonl").read_text() == before


def test_ray_from_the_cli(local_ray, tmp_path, data_dir):
    from typer.testing import CliRunner

    from mathdistill.cli.main import app

    out = tmp_path / "cli"
    res = CliRunner().invoke(app, ["sample", "--data", "gsm8k", "--split", "test", "--limit", "5", "--backend",
                                   "fake", "--model", "fake", "--k", "3", "--ray", "--num-actors", "2", "--out",
                                   str(out), "--grading-workers", "1", "--no-progress"])
    assert res.exit_code == 0, res.output
    assert "5 problems, 15 samples" in res.output
    assert len(list(read_jsonl(out / "samples.jsonl"))) == 15
    assert (out / "shards" / "shard-1" / "run.json").exists() and (out / "run.json").exists()
