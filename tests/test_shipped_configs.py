"""Every YAML under configs/ loads into its stage's config dataclass and says how to run it."""

from pathlib import Path

import pytest

from mathdistill.config import load_config

CONFIGS = sorted((Path(__file__).resolve().parents[1] / "configs").glob("*.yaml"))


def _config_class(name: str):
    if name.startswith("run_") or name == "demo.yaml":
        from mathdistill.pipeline import RunConfig

        return RunConfig
    if name.startswith("sample_"):
        from mathdistill.sampling.config import SampleConfig

        return SampleConfig
    if name.startswith("curate_"):
        from mathdistill.curation.config import CurateConfig

        return CurateConfig
    if name.startswith("eval_"):
        from mathdistill.eval.config import EvalConfig

        return EvalConfig
    raise AssertionError(f"configs/{name}: name must start with sample_, curate_, eval_ or run_ (or be demo.yaml)")


def test_there_are_configs():
    assert len(CONFIGS) >= 3
    names = {p.name for p in CONFIGS}
    assert {"demo.yaml", "run_rft_gsm8k.yaml", "run_dart_prop2diff_math.yaml", "run_tdg_math.yaml"} <= names


def test_tdg_recipe_chain():
    from mathdistill.pipeline import build_plan, load_run_config

    path = Path(__file__).resolve().parents[1] / "configs" / "run_tdg_math.yaml"
    stages = {s.id: s for s in build_plan(load_run_config(path), "RUN")}
    assert list(stages) == ["import", "curate", "train_neg", "train_nat", "train_nce", "train_ranker", "eval_base",
                            "eval_nat", "eval_nce", "report"]
    assert stages["train_nat"].config.nat.negative_adapter == str(Path("RUN") / "train_neg")
    assert stages["train_nce"].config.nce.teacher == str(Path("RUN") / "train_nat")
    assert stages["eval_nce"].config.voting == "asc" and stages["eval_nce"].config.ranker.endswith("train_ranker")


@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: p.name)
def test_config_loads(path):
    cls = _config_class(path.name)
    if cls.__name__ == "RunConfig":
        from mathdistill.pipeline import build_plan, load_run_config

        cfg = load_run_config(path)
        stages = build_plan(cfg, "RUN")  # resolves placeholders and each train step's TrainConfig
        assert [s for s in stages if s.kind == "eval"], "a run config evaluates something"
        head = path.read_text().splitlines()[:4]
        assert any("mathdistill run" in ln or "mathdistill demo" in ln for ln in head), \
            "a run config's first comment lines say the command"
        assert path.name == "demo.yaml" or any("Hardware" in ln for ln in head), "and name the hardware"
    else:
        cfg = load_config(cls, path)
    assert cfg is not None
    assert path.read_text().startswith("#"), "each shipped config starts with a comment saying what it is"


def test_demo_config_ships_inside_the_package():
    # `mathdistill demo` must find its config from a wheel install too, not only from a clone.
    from mathdistill.cli.demo_cmd import demo_config_path

    p = demo_config_path()
    assert p.parent.name == "pipeline"
    assert p.exists() and p.resolve() == (Path(__file__).resolve().parents[1] / "configs" / "demo.yaml").resolve()


@pytest.mark.parametrize("name", ["ddp", "deepspeed_zero2", "deepspeed_zero3"])
def test_accelerate_configs_load_with_accelerate(name):
    # Parsed by accelerate's own loader, as `accelerate launch --config_file` does.
    config_args = pytest.importorskip("accelerate.commands.config.config_args")
    path = Path(__file__).resolve().parents[1] / "configs" / "accelerate" / f"{name}.yaml"
    cfg = config_args.load_config_from_file(str(path))
    assert cfg.num_processes >= 2 and not cfg.use_cpu
    want = {"ddp": "MULTI_GPU", "deepspeed_zero2": "DEEPSPEED", "deepspeed_zero3": "DEEPSPEED"}[name]
    assert cfg.distributed_type.name == want
    if want == "DEEPSPEED":
        assert cfg.deepspeed_config["zero_stage"] == int(name[-1])
    assert "accelerate launch --config_file configs/accelerate/" in path.read_text().split("compute_environment")[0]
