"""Model-family presets: data, detection (name, chat template, rendered prompt), sampling presets,
and the defined outcome of a preset that does not match the output."""

from __future__ import annotations

import pytest

from mathdistill.errors import ConfigError
from mathdistill.eval.config import EvalConfig
from mathdistill.models.families import (
    CHOICES,
    FAMILIES,
    LONGCOT_SAMPLING,
    NONE,
    detect_family,
    family_by_name,
    get_family,
    recommended_sampling,
    resolve_family,
    sampling_preset,
)
from mathdistill.sampling.base import Completion
from mathdistill.sampling.config import SampleConfig
from mathdistill.sampling.generate import Reasoning


class Tok:
    """What detection asks of a tokenizer: its chat template and a rendered generation prompt."""

    def __init__(self, template: str, generation_prompt: str):
        self.chat_template = template
        self._gen = generation_prompt

    def apply_chat_template(self, messages, tokenize=False, add_generation_prompt=True):
        return "<user>" + messages[0]["content"] + self._gen

    def encode(self, text, add_special_tokens=False):
        return text.split()


def test_presets_are_data():
    assert set(CHOICES) == {"auto", "none", "deepseek-r1", "qwen3", "qwq", "gpt-oss", "think"}
    r1 = FAMILIES["deepseek-r1"]
    assert r1.tags == ("<think>", "</think>") and r1.prefilled and r1.vllm_parser == "deepseek_r1"
    assert dict(r1.sampling) == {"temperature": 0.6, "top_p": 0.95, "max_new_tokens": 32768}
    assert FAMILIES["qwen3"].end_of_turn == "<|im_end|>" and not FAMILIES["qwen3"].prefilled
    assert FAMILIES["gpt-oss"].vllm_parser == "openai_gptoss" and FAMILIES["gpt-oss"].end_of_turn == "<|return|>"
    assert not NONE.thinks and NONE.split("<think>x</think>4") == (None, "<think>x</think>4", None)
    assert recommended_sampling(FAMILIES["think"]) == dict(LONGCOT_SAMPLING)
    with pytest.raises(ConfigError, match="unknown reasoning family 'r2'"):
        get_family("r2")


@pytest.mark.parametrize(("name", "family"), [
    ("deepseek-ai/DeepSeek-R1-Distill-Qwen-7B", "deepseek-r1"),
    ("/models/deepseek-r1-0528-qwen3-8b", "deepseek-r1"),
    ("Qwen/Qwen3-8B", "qwen3"),
    ("Qwen/Qwen3-4B-Thinking-2507", "qwen3"),
    ("Qwen/Qwen3-4B-Instruct-2507", None),  # the non-thinking release
    ("Qwen/QwQ-32B", "qwq"),
    ("openai/gpt-oss-20b", "gpt-oss"),
    ("smollm2", None),
    ("Qwen/Qwen2.5-Math-1.5B-Instruct", None),
])
def test_family_by_name(name, family):
    got = family_by_name(name)
    assert (got.name if got else None) == family


def test_detect_from_chat_template():
    think = Tok("{% if '</think>' in m %}{% endif %}<think>", "<assistant>")
    assert detect_family("runs/student", think).name == "think"
    harmony = Tok("<|channel|>analysis<|message|>...<|channel|>final", "<|start|>assistant")
    assert detect_family("local/model", harmony).name == "gpt-oss"
    assert detect_family("local/model", Tok("{{ messages }}", "<assistant>")) is NONE
    assert detect_family("local/model", None) is NONE


def test_prefill_is_read_from_the_prompt_as_sent():
    # A distill whose template does not pre-fill (older R1 distills): the preset's default is corrected.
    fam = resolve_family("auto", "DeepSeek-R1-Distill-Qwen-1.5B", Tok("<think>", "<assistant>"))
    assert fam.name == "deepseek-r1" and fam.prefilled is False
    fam = resolve_family("qwen3", "x", None, prompt="<|im_start|>assistant\n<think>\n")
    assert fam.prefilled is True  # Thinking-2507 pre-fills
    # A template with thinking turned off (Qwen3 enable_thinking=False) closes the reasoning in the prompt.
    assert resolve_family("qwen3", "x", None, prompt="<|im_start|>assistant\n<think>\n\n</think>\n\n") is NONE
    # No prompt and no tokenizer (a chat API): the preset's default.
    assert resolve_family("deepseek-r1", "r1", None).prefilled is True
    assert resolve_family("none", "DeepSeek-R1", None) is NONE


def test_qwen3_style_real_chat_template_prefill(smollm2_path):
    """A real tokenizer with a Qwen3-Thinking-style template (built here) that pre-fills <think>."""
    transformers = pytest.importorskip("transformers")
    tok = transformers.AutoTokenizer.from_pretrained(smollm2_path)
    tok.chat_template = ("{% for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content }}<|im_end|>\n{% endfor %}"
                         "{% if add_generation_prompt %}<|im_start|>assistant\n<think>\n{% endif %}")
    fam = resolve_family("auto", "my/student", tok)
    assert fam.name == "think" and fam.prefilled is True
    assert fam.split("2+2=4\n</think>\n\nThe answer is 4.") == ("2+2=4", "The answer is 4.", True)


def test_mismatched_preset_has_a_defined_outcome():
    """A family said to think whose output shows no tag: no reasoning, counted; a pre-filling family
    whose output never closes although the model stopped: truncated, counted. Never a silent label."""
    r = Reasoning(FAMILIES["qwen3"], count_tokens=lambda t: len(t.split()))
    assert r.fields(Completion("The answer is 4.", "stop", 5)) == (None, "The answer is 4.", None, None)
    assert r.warnings == {"no_reasoning_tags": 1}
    assert r.fields(Completion("<think>a b c</think>The answer is 4.", "stop", 9)) == \
        ("a b c", "The answer is 4.", True, 3)
    assert r.fields(Completion("<think>a b c d", "length", 7)) == ("a b c d", "", False, 7)
    assert r.warnings == {"no_reasoning_tags": 1}
    p = Reasoning(FAMILIES["deepseek-r1"])
    assert p.fields(Completion("The answer is 4.", "stop", 5)) == ("The answer is 4.", "", False, 5)
    assert p.warnings == {"unclosed_at_stop": 1}
    # A backend that split already (a server's reasoning_content) is taken as it is.
    c = Completion("4", "stop", 9, reasoning="r", reasoning_closed=True, reasoning_tokens=6)
    assert Reasoning(NONE).fields(c) == ("r", "4", True, 6)


def test_reasoning_knobs_and_eval_presets():
    assert SampleConfig(reasoning="deepseek-r1").reasoning == "deepseek-r1"
    with pytest.raises(ConfigError, match="reasoning must be one of"):
        SampleConfig(reasoning="r2")
    cfg = EvalConfig(preset="longcot")
    assert (cfg.temperature, cfg.top_p, cfg.max_new_tokens, cfg.greedy) == (0.6, 0.95, 32768, False)
    cfg = EvalConfig(preset="gpt-oss", max_new_tokens=4096)  # an explicit value wins
    assert (cfg.temperature, cfg.top_p, cfg.max_new_tokens) == (1.0, 1.0, 4096)
    assert EvalConfig().max_new_tokens == 1024 and EvalConfig().reasoning == "auto"
    with pytest.raises(ConfigError, match="preset must be one of"):
        EvalConfig(preset="think")
    assert sampling_preset("qwen3")["temperature"] == 0.6


def test_a_folder_trained_on_think_traces_is_read_as_thinking(tmp_path):
    """A short-CoT base model trained here on think-tagged rows writes think blocks: `auto` reads its
    manifest (data.reasoning_rows), not only its name and chat template."""
    import json

    from mathdistill.models.manifest import MANIFEST

    d = tmp_path / "student"
    d.mkdir()
    assert detect_family(str(d)).name == "none"
    (d / MANIFEST).write_text(json.dumps({"status": "complete", "data": {"reasoning_rows": 0}}))
    assert detect_family(str(d)).name == "none"
    (d / MANIFEST).write_text(json.dumps({"status": "complete", "data": {"reasoning_rows": 12}}))
    assert detect_family(str(d)).name == "think"
    assert resolve_family("auto", str(d)).tags == ("<think>", "</think>")
    assert resolve_family("none", str(d)).name == "none"
