"""A reference solution added with include_reference obeys max_chars like the samples (TDG: 1,600 characters)."""

from __future__ import annotations

import json

from curation_helpers import mk, problem, write_dir

from mathdistill.curation.config import CurateConfig
from mathdistill.curation.pipeline import curate


def test_reference_solutions_respect_max_chars(tmp_path):
    short, long_ = "Short reference. \\boxed{1}", "Long reference. " + "step " * 400 + "\\boxed{1}"
    samples = [mk("a", 0, "Sample a. \\boxed{1}", True), mk("b", 0, "Sample b. \\boxed{1}", True)]
    src = write_dir(tmp_path / "s", samples, [problem("a", solution=short), problem("b", solution=long_)])
    cfg = CurateConfig(plots=False, include_reference=True, max_chars=1600, formats=["sft"], template="boxed_cot")
    curate(src, tmp_path / "out", cfg)
    rows = [json.loads(x) for x in (tmp_path / "out" / "sft.jsonl").read_text().splitlines()]
    refs = {r["problem_id"]: r["completion"] for r in rows if r["sample_idx"] == -1}
    assert refs == {"a": short}  # b's reference is longer than the limit: left out as a sample would be
    assert {r["problem_id"] for r in rows if r["sample_idx"] == 0} == {"a", "b"}
