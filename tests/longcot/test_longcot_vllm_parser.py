"""The vLLM offline path: vLLM's own reasoning parser class (it imports on CPU), with the engine stubbed."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from mathdistill.models.families import FAMILIES, resolve_family
from mathdistill.sampling.base import Completion, GenerationRequest, SamplingParams

pytest.importorskip("vllm")

from mathdistill.sampling.backends.vllm_backend import VLLMBackend, apply_parser, reasoning_parser


@pytest.fixture(scope="module")
def think_tok(smollm2_path):
    """SmolLM2's tokenizer with <think> / </think> as tokens (what a reasoning model's tokenizer has)."""
    transformers = pytest.importorskip("transformers")
    tok = transformers.AutoTokenizer.from_pretrained(smollm2_path)
    tok.add_tokens(["<think>", "</think>"])
    return tok


def test_parser_is_vllms_and_missing_tokens_fall_back(think_tok, smollm2_path):
    import transformers

    p = reasoning_parser("deepseek_r1", think_tok)
    assert type(p).__name__ == "DeepSeekR1ReasoningParser"
    plain = transformers.AutoTokenizer.from_pretrained(smollm2_path)
    assert reasoning_parser("deepseek_r1", plain) is None  # no <think> token: our splitter instead
    assert reasoning_parser("no_such_parser", think_tok) is None
    assert reasoning_parser(None, think_tok) is None


@pytest.mark.parametrize(("text", "finish", "want"), [
    ("<think>2+2=4</think>The answer is 4.", "stop", ("2+2=4", "The answer is 4.", True)),
    ("2+2=4</think>The answer is 4.", "stop", ("2+2=4", "The answer is 4.", True)),  # pre-filled
    ("<think>2+2 so \\boxed{4}", "length", ("2+2 so \\boxed{4}", "", False)),
    ("<think>2+2=4</think>", "stop", ("2+2=4", "", True)),  # empty answer: closed, no answer
    # vLLM reads a second block as answer text; our rule (after the last closing tag) decides.
    ("<think>a</think>maybe 5<think>b</think>The answer is 4.", "stop",
     ("a</think>maybe 5<think>b", "The answer is 4.", True)),
])
def test_apply_parser_outcomes(think_tok, text, finish, want):
    fam = FAMILIES["deepseek-r1"]
    parser = reasoning_parser(fam.vllm_parser, think_tok)
    ids = think_tok(text, add_special_tokens=False)["input_ids"]
    c = Completion(text, finish, len(ids))
    apply_parser(parser, fam, c, ids)
    assert (c.reasoning, c.text, c.reasoning_closed) == want
    if c.reasoning_closed is False:
        assert c.reasoning_tokens == len(ids)
    elif text.startswith("<think>a</think>"):
        pass
    elif text.startswith("<think>"):
        assert c.reasoning_tokens == len(think_tok(want[0], add_special_tokens=False)["input_ids"])
    else:
        assert c.reasoning_tokens is None  # a pre-filled <think> is not in the output: vLLM counts 0


def test_no_reasoning_found_is_left_to_the_splitter(think_tok):
    qwen = resolve_family("qwen3", "x", None, prompt="<|im_start|>assistant\n")
    parser = reasoning_parser("deepseek_r1", think_tok)
    c = Completion("The answer is 4.", "stop", 5)
    apply_parser(parser, qwen, c, [1, 2, 3, 4, 5])
    assert not c.split  # to_samples then records no reasoning and counts the mismatch


def test_backend_generate_applies_the_parser(think_tok):
    outs = [SimpleNamespace(outputs=[SimpleNamespace(text="<think>r</think>The answer is 4.", finish_reason="stop",
                                                     token_ids=[1, 2, 3, 4, 5]),
                                     SimpleNamespace(text="<think>still thinking", finish_reason="length",
                                                     token_ids=[1, 2, 3])])]
    llm = SimpleNamespace(get_tokenizer=lambda: think_tok, generate=lambda prompts, params, use_tqdm: outs)
    b = VLLMBackend.__new__(VLLMBackend)  # the engine is stubbed: no model is loaded
    b.llm, b.cpu, b.seed = llm, True, 0
    b.use_reasoning(FAMILIES["deepseek-r1"])
    (done, cut), = b.generate([GenerationRequest("p", SamplingParams(n=2, max_tokens=5))])
    assert (done.reasoning, done.text, done.reasoning_closed, done.seed) == ("r", "The answer is 4.", True, 0)
    assert (cut.reasoning, cut.text, cut.reasoning_closed, cut.reasoning_tokens) == ("still thinking", "", False, 3)
    b.use_reasoning(FAMILIES["none"])
    (plain, _), = b.generate([GenerationRequest("p", SamplingParams(n=2, max_tokens=5))])
    assert not plain.split and plain.text.startswith("<think>")
    b.llm = None
