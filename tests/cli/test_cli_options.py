"""Options derived from the config dataclasses: every old flag kept, help for every field, precedence,
and one seed rule for `eval` and `run`."""

import dataclasses
import logging
import os
import typing

import pytest
import typer
import typer.main
from typer.testing import CliRunner

from mathdistill.cli import logs
from mathdistill.cli.main import app
from mathdistill.cli.options import config_flags, config_options
from mathdistill.curation.config import CurateConfig
from mathdistill.eval.config import EvalConfig
from mathdistill.pipeline.config import RunConfig
from mathdistill.sampling.config import SampleConfig
from mathdistill.training.config import TrainConfig

# The flags each command had when they were written by hand (scripts and docs use them).
OLD_FLAGS = {
    "sample": "--config --set --data --split --limit --data-dir --question-field --answer-field --id-field "
              "--template --n-shots --shots-from --model --backend --teacher-name --strategy --k --k-correct "
              "--k-max --max-trials --first-pass-k --fail-rates --temperature --top-p --max-new-tokens --seed "
              "--out --overwrite --batch-requests --num-shards --shard-index --ray --num-actors --ray-address "
              "--tensor-parallel-size --data-parallel-size --gpu-memory-utilization --max-model-len "
              "--hf-batch-size --base-url --api-key-env --concurrency --grading-workers --progress --no-progress",
    "eval": "--config --set --model --backend --data --split --limit --data-dir --template --n-shots --shots-from "
            "--n --temperature --top-p --max-new-tokens --seed --greedy --no-greedy --batch-size --voting --ranker "
            "--asc-weight --grade-workers --out --from-samples --regrade --no-regrade --progress --no-progress",
    "train": "--config --set --method --data --negatives --model --out --output-dir --lora-r --lora-alpha "
             "--lora-dropout --lora-target-modules --learning-rate --num-train-epochs --max-steps "
             "--per-device-train-batch-size --gradient-accumulation-steps --warmup-ratio --lr-scheduler-type "
             "--seed --save-steps --logging-steps --report-to --resume-from-checkpoint --max-length --truncation "
             "--packing --no-packing --gradient-checkpointing --no-gradient-checkpointing --bf16 --no-bf16 "
             "--neg-lambda --negative-adapter --teacher --template --merge --no-merge --progress --no-progress",
    "curate": "-o --output --config --set --select --k-correct --k-max --budget --fail-rate-from --dedup "
              "--include-reference --no-reference --drop-truncated --keep-truncated --drop-no-answer "
              "--keep-no-answer --max-negatives-per-problem --max-chars --template --formats --pairing "
              "--max-pairs-per-problem --decontaminate --ngram --threshold --problems --problems-split --plots "
              "--no-plots --push-to-hub --data-dir",
    "run": "--out --set --stages --dry-run --progress --no-progress",
}


def _names(cmd: str) -> set[str]:
    c = typer.main.get_command(app).commands[cmd]
    return {n for p in c.params for n in (*p.opts, *getattr(p, "secondary_opts", ()))}


@pytest.mark.parametrize("cmd", sorted(OLD_FLAGS))
def test_every_old_flag_is_kept(cmd):
    assert set(OLD_FLAGS[cmd].split()) <= _names(cmd)


@pytest.mark.parametrize("cls", [SampleConfig, EvalConfig, CurateConfig, TrainConfig, RunConfig])
def test_every_config_field_has_one_help_text(cls):
    def walk(c):
        hints = typing.get_type_hints(c)
        for f in dataclasses.fields(c):
            assert f.metadata.get("help"), f"{c.__name__}.{f.name}"
            if dataclasses.is_dataclass(hints[f.name]):
                walk(hints[f.name])

    walk(cls)
    assert config_flags(cls)  # and the flags build without clashes


def test_nested_and_renamed_flags_map_to_fields():
    by_key = {f.key: f.decls for f in config_flags(TrainConfig)}
    assert by_key["lora.r"] == ("--lora-r",) and by_key["lora.lora_alpha"] == ("--lora-alpha",)
    assert by_key["output_dir"] == ("--out", "--output-dir") and by_key["nce.teacher"] == ("--teacher",)
    assert by_key["packing"] == ("--packing/--no-packing",)
    assert "extra_args" not in by_key  # mappings: YAML or --set only
    by_key = {f.key: f.decls for f in config_flags(SampleConfig)}
    assert by_key["hf.batch_size"] == ("--hf-batch-size",) and by_key["vllm.max_model_len"] == ("--max-model-len",)


def test_only_given_flags_reach_the_config():
    got = {}
    mini = typer.Typer()

    @mini.command()
    @config_options(TrainConfig)
    def go(*, flags: dict) -> None:
        got.update(flags)

    r = CliRunner().invoke(mini, ["--lora-r", "4", "--no-packing", "--data", "a.jsonl,b.jsonl", "--learning-rate",
                                  "1e-4"])
    assert r.exit_code == 0, r.output
    assert got == {"lora.r": 4, "packing": False, "data": "a.jsonl,b.jsonl", "learning_rate": 1e-4}


def test_precedence_defaults_yaml_set_flags(tmp_path, monkeypatch):
    seen = {}

    def fake_run(cfg, progress=True):
        seen["cfg"] = cfg
        return {"metrics": {}, "model": cfg.model}

    import mathdistill.eval.pipeline as ep

    monkeypatch.setattr(ep, "run_eval", fake_run)
    y = tmp_path / "e.yaml"
    y.write_text("n: 3\ntemperature: 0.5\ntop_p: 0.9\nseed: 1\n")
    r = CliRunner().invoke(app, ["eval", "--config", str(y), "--set", "temperature=0.4", "--set", "top_p=0.8",
                                 "--top-p", "0.7", "--data", "gsm8k,math500", "--out", str(tmp_path / "o")])
    assert r.exit_code == 0, r.output
    cfg = seen["cfg"]
    assert (cfg.n, cfg.temperature, cfg.top_p, cfg.seed) == (3, 0.4, 0.7, 1)
    assert cfg.data == ["gsm8k", "math500"] and cfg.max_new_tokens == EvalConfig.max_new_tokens


def test_eval_seed_and_run_eval_seed_resolve_to_the_same_config(tmp_path, monkeypatch):
    from mathdistill.pipeline import build_plan, load_run_config

    seen = {}

    def fake_run(cfg, progress=True):
        seen["cfg"] = cfg
        return {"metrics": {}, "model": cfg.model}

    import mathdistill.eval.pipeline as ep

    monkeypatch.setattr(ep, "run_eval", fake_run)
    out = tmp_path / "run" / "eval_base"
    r = CliRunner().invoke(app, ["eval", "--seed", "7", "--backend", "vllm", "--model", "stu", "--data", "gsm8k",
                                 "--template", "gsm8k", "--out", str(out)])
    assert r.exit_code == 0, r.output
    single = seen["cfg"]
    run_cfg = load_run_config(None, ["eval.seed=7", "backend=vllm", "student=stu", "template=gsm8k"],
                              cli={"out": str(tmp_path / "run")})
    (planned,) = [s.config for s in build_plan(run_cfg, tmp_path / "run") if s.id == "eval_base"]
    assert planned == single
    # On vLLM-CPU the engine seed is the only sampling seed: both paths give it the eval seed.
    assert planned.engine_kwargs()["seed"] == single.engine_kwargs()["seed"] == 7
    assert EvalConfig(backend="openai", seed=7).engine_kwargs() == {}
    assert EvalConfig(backend="hf", seed=7, backend_kwargs={"seed": 3}).engine_kwargs() == {"seed": 3}


def test_logging_shows_our_info_and_holds_third_party_back(monkeypatch):
    for k in ("VLLM_LOGGING_LEVEL", "HF_HUB_DISABLE_PROGRESS_BARS", "TRANSFORMERS_NO_ADVISORY_WARNINGS"):
        monkeypatch.delenv(k, raising=False)
    r = CliRunner().invoke(app, ["env", "--help"])
    assert r.exit_code == 0, r.output
    assert logging.getLogger("mathdistill.pipeline").getEffectiveLevel() == logging.INFO
    assert logging.getLogger("transformers").level == logging.WARNING
    assert logging.getLogger("vllm").level == logging.ERROR
    assert os.environ["VLLM_LOGGING_LEVEL"] == "ERROR" and os.environ["HF_HUB_DISABLE_PROGRESS_BARS"] == "1"
    try:
        r = CliRunner().invoke(app, ["--verbose", "env", "--help"])
        assert r.exit_code == 0, r.output
        assert logging.getLogger().level == logging.INFO and logging.getLogger("vllm").level == logging.NOTSET
    finally:
        logs.setup()  # later tests (and torch's exit-time INFO lines) see the usual levels
