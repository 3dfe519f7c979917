import json
from pathlib import Path

import pytest

from mathdistill.models.registry import is_peft_adapter, resolve_model


def test_prepared_checkpoint_is_plain_hf(smollm2_path):
    p = Path(smollm2_path)
    cfg = json.loads((p / "config.json").read_text())
    assert "quantization_config" not in cfg
    assert (p / "model.safetensors").exists()
    tok_cfg = json.loads((p / "tokenizer_config.json").read_text())
    assert "chat_template" in tok_cfg or (p / "chat_template.jinja").exists()


def test_resolve_model(smollm2_path, tmp_path):
    assert resolve_model("smollm2") == smollm2_path
    assert resolve_model("SmolLM2") == smollm2_path
    assert resolve_model(str(tmp_path)) == str(tmp_path.resolve())
    assert resolve_model("org/some-model") == "org/some-model"
    assert not is_peft_adapter(str(tmp_path))


def test_prepare_is_idempotent(smollm2_path):
    from mathdistill.models import smollm2

    before = (Path(smollm2_path) / "model.safetensors").stat().st_mtime
    assert str(smollm2.prepare()) == smollm2_path
    assert (Path(smollm2_path) / "model.safetensors").stat().st_mtime == before


@pytest.mark.slow
def test_prepare_from_scratch_and_greedy_generate(tmp_path):
    """Convert the GGUF into a fresh dir, then greedy-generate offline with transformers."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from mathdistill.models import smollm2

    out = smollm2.prepare(out=tmp_path / "ckpt")
    tok = AutoTokenizer.from_pretrained(out)
    model = AutoModelForCausalLM.from_pretrained(out)
    assert getattr(model.config, "quantization_config", None) is None
    msgs = [{"role": "user", "content": "What is 2+3? Answer briefly."}]
    enc = tok.apply_chat_template(msgs, add_generation_prompt=True, return_tensors="pt", return_dict=True)
    with torch.no_grad():
        gen = model.generate(**enc, max_new_tokens=20, do_sample=False)
    text = tok.decode(gen[0, enc["input_ids"].shape[1]:], skip_special_tokens=True)
    assert "5" in text
