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
    assert list(stages) == ["import", "curate", "train_cotkd", "train_mix", "train_nt", "train_ul", "train_neg",
                            "train_nat", "sample_student", "curate_student", "train_nce", "train_ranker", "eval_base",
                            "eval_cotkd", "eval_mix", "eval_nt", "eval_ul", "eval_nat", "eval_nce", "report"]
    assert stages["train_nat"].config.nat.negative_adapter == str(Path("RUN") / "train_neg")
    assert stages["train_nce"].config.nce.teacher == str(Path("RUN") / "train_nat")
    assert stages["eval_nce"].config.voting == "asc" and stages["eval_nce"].config.ranker.endswith("train_ranker")
    # NAT and NCE learn from the teacher's correct samples only; NT's helper set adds the references.
    assert stages["curate"].config.include_reference and stages["curate"].config.max_chars == 1600
    assert not stages["train_nat"].config.references and not stages["train_nce"].config.references
    assert stages["train_nt"].config.references
    # The ranker learns from the NAT student's own 16 samples per MATH train problem, with TDG's settings.
    st = stages["sample_student"].config
    assert (st.model, st.k, st.data, st.split, st.backend) == (str(Path("RUN") / "train_nat"), 16, "math", "train",
                                                               "hf")
    assert stages["curate_student"].inputs == [Path("RUN") / "sample_student"]
    assert stages["curate_student"].config.include_reference and stages["curate_student"].config.formats == ["ranker"]
    r = stages["train_ranker"].config
    assert r.data == [str(Path("RUN") / "curate_student" / "ranker.jsonl")]
    assert (r.learning_rate, r.num_train_epochs, r.per_device_train_batch_size, r.weight_decay) == (2e-5, 5, 1, 1e-5)
    assert stages["eval_nce"].config.data == ["math", "gsm8k"] and stages["eval_nce"].config.split == "test"


def test_dart_recipe_samples_with_one_template_and_trains_with_another():
    from mathdistill.pipeline import build_plan, load_run_config

    path = Path(__file__).resolve().parents[1] / "configs" / "run_dart_prop2diff_math.yaml"
    stages = {s.id: s for s in build_plan(load_run_config(path), "RUN")}
    s = stages["sample"].config
    assert (s.template, s.temperature, s.top_p, s.n_shots) == ("deepseekmath", 1.6, 0.95, 0)
    assert stages["curate"].config.template == stages["train_sft"].config.template == "alpaca"
    assert stages["eval_sft"].config.template == stages["eval_base"].config.template == "alpaca"
    assert stages["curate"].config.dedup == "none" and stages["eval_sft"].config.data == ["math", "gsm8k"]


def test_rft_recipe_global_batch_lengths_and_one_format():
    from mathdistill.pipeline import build_plan, load_run_config

    path = Path(__file__).resolve().parents[1] / "configs" / "run_rft_gsm8k.yaml"
    stages = {s.id: s for s in build_plan(load_run_config(path), "RUN")}
    t = stages["train_sft"].config
    assert (t.global_batch_size, t.max_length, t.learning_rate, t.num_train_epochs) == (128, 512, 2e-5, 3)
    assert (stages["sample"].config.max_new_tokens, stages["eval_sft"].config.max_new_tokens) == (256, 256)
    c = stages["curate"].config
    assert c.decontaminate == [] and c.formats == ["sft"] and t.data == [str(Path("RUN") / "curate" / "sft.jsonl")]
    assert stages["sample"].config.template == t.template == stages["eval_sft"].config.template == "rft"


def test_every_clone_config_is_package_data():
    """configs/ in a clone links into the package, so a wheel carries the same recipes."""
    root = Path(__file__).resolve().parents[1]
    for p in (root / "configs").rglob("*.yaml"):
        assert p.is_symlink(), p
        target = p.resolve()
        assert root / "src" / "mathdistill" in target.parents, p


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
