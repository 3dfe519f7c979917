"""`--method opd` (TRL's DistillationTrainer) for two steps on tiny Llamas on CPU, and its refusals."""

from __future__ import annotations

import json

import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")
pytest.importorskip("trl")

from mathdistill.config import build
from mathdistill.errors import ConfigError, MathdistillError
from mathdistill.models.manifest import MANIFEST, is_complete
from mathdistill.training import TrainConfig, run_training


def data(tmp_path) -> str:
    rows = [{"prompt": f"Problem:\nWhat is {i} plus 1?\n\nSolution:\n", "completion": f"The answer is {i + 1}.",
             "problem_id": f"q{i}", "sample_idx": 0} for i in range(4)]
    f = tmp_path / "sft.jsonl"
    f.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return str(f)


def cfg(tiny_lm, out, data_file, teacher, **kw) -> TrainConfig:
    base = {"method": "opd", "model": tiny_lm, "data": [data_file], "output_dir": str(out), "learning_rate": 1e-3,
            "max_steps": 2, "per_device_train_batch_size": 2, "logging_steps": 1, "save_steps": 1,
            "save_total_limit": 1, "warmup_ratio": 0.0, "lr_scheduler_type": "constant", "max_length": 128,
            "opd": {"teacher": teacher, "max_new_tokens": 6}}
    base.update(kw)
    return build(TrainConfig, base)


def test_opd_two_steps_and_resume(tiny_lm, teacher_lm, tmp_path):
    out = tmp_path / "opd"
    doc = run_training(cfg(tiny_lm, out, data(tmp_path), teacher_lm), progress=False)
    assert doc["status"] == "complete" and doc["method"] == "opd" and doc["metrics"]["global_step"] == 2
    assert doc["opd"]["beta"] == 1.0 and is_complete(out) and (out / MANIFEST).exists()
    assert all(isinstance(h["loss"], float) for h in json.loads((out / "trainer_state.json").read_text())
               ["log_history"] if "loss" in h)
    # A finished folder is returned as is; another teacher is another config.
    assert run_training(cfg(tiny_lm, out, data(tmp_path), teacher_lm), progress=False)["status"] == "complete"
    with pytest.raises(ConfigError, match="another config"):
        run_training(cfg(tiny_lm, out, data(tmp_path), tiny_lm), progress=False)


def test_opd_needs_a_teacher_of_the_same_vocabulary(tiny_lm, tmp_path):
    with pytest.raises(ConfigError, match="--opd-teacher"):
        build(TrainConfig, {"method": "opd", "data": ["x.jsonl"]})
    tok = transformers.AutoTokenizer.from_pretrained(tiny_lm)
    tok.add_tokens(["<other>"])
    config = transformers.AutoConfig.from_pretrained(tiny_lm)
    other = tmp_path / "other"
    transformers.LlamaForCausalLM(config).save_pretrained(other)
    tok.save_pretrained(other)
    with pytest.raises(MathdistillError, match="vocabulary .* is not the student's"):
        run_training(cfg(tiny_lm, tmp_path / "o", data(tmp_path), str(other)), progress=False)
