"""Every YAML under configs/ loads into its stage's config dataclass and says how to run it."""

from pathlib import Path

import pytest

from mathdistill.config import load_config

CONFIGS = sorted((Path(__file__).resolve().parents[1] / "configs").glob("*.yaml"))


def _config_class(name: str):
    if name.startswith("sample_"):
        from mathdistill.sampling.config import SampleConfig

        return SampleConfig
    if name.startswith("curate_"):
        from mathdistill.curation.config import CurateConfig

        return CurateConfig
    if name.startswith("eval_"):
        from mathdistill.eval.config import EvalConfig

        return EvalConfig
    raise AssertionError(f"configs/{name}: name must start with sample_, curate_ or eval_")


def test_there_are_configs():
    assert len(CONFIGS) >= 3


@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: p.name)
def test_config_loads(path):
    cfg = load_config(_config_class(path.name), path)
    assert cfg is not None
    assert path.read_text().startswith("#"), "each shipped config starts with a comment saying what it is"
