"""Training on long chain-of-thought rows (issue 19, Training): the target keeps the whole reasoning,
ends with the model's end-of-turn token, continues a template's pre-filled `<think>` as sampling and
eval do, and a trace longer than max_length is dropped and counted, never cut before its answer.

The tokenizer is built here: byte-level BPE with ChatML's `<|im_start|>`/`<|im_end|>` and an EOS that is
not `<|im_end|>` (a base model, as Qwen's), and a Qwen3-style chat template that strips the reasoning
from assistant turns of the history (Qwen3's does, for the turns before the last question).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")
pytest.importorskip("tokenizers")

from mathdistill.config import build
from mathdistill.curation.formats import Renderer, messages_rows
from mathdistill.data.prompts import make_prompter
from mathdistill.records import Problem, Sample
from mathdistill.training import TrainConfig, run_training
from mathdistill.training.data import IGNORE, DataStats, Row, end_of_turn, load_examples, tokenize
from mathdistill.training.methods import method_spec

PROBLEMS = [Problem(id=f"p{i}", question=f"What is {i} plus {i + 2}?", answer=str(2 * i + 2)) for i in range(4)]
REASONING = "I add {a} and {b}. Let me check: {a} + {b} = {c}. Yes."

# Qwen3's rule, made stronger: every assistant turn it renders loses its <think> block, the last one
# too, so a target rendered through the template would lose its reasoning.
QWEN3_STYLE = (
    "{%- for m in messages -%}"
    "{%- if m['role'] == 'assistant' -%}"
    "{%- set c = m['content'] -%}"
    "{%- if '</think>' in c -%}{%- set c = c.split('</think>')[-1].lstrip('\\n') -%}{%- endif -%}"
    "{{ '<|im_start|>assistant\\n' + c + '<|im_end|>\\n' }}"
    "{%- else -%}"
    "{{ '<|im_start|>' + m['role'] + '\\n' + m['content'] + '<|im_end|>\\n' }}"
    "{%- endif -%}"
    "{%- endfor -%}"
    "{%- if add_generation_prompt -%}{{ '<|im_start|>assistant\\n' }}{%- endif -%}"
)
# DeepSeek-R1-distill style: the generation prompt opens the reasoning.
PREFILLING = QWEN3_STYLE.replace("{{ '<|im_start|>assistant\\n' }}{%- endif -%}",
                                 "{{ '<|im_start|>assistant\\n<think>\\n' }}{%- endif -%}")


def make_model(out: Path, template: str) -> str:
    from tokenizers import AddedToken, Tokenizer, decoders, models, pre_tokenizers, trainers

    tk = Tokenizer(models.BPE())
    tk.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tk.decoder = decoders.ByteLevel()
    corpus = [p.question for p in PROBLEMS] + [REASONING.format(a=1, b=2, c=3), "The answer is 4.", "assistant user"]
    tk.train_from_iterator(corpus, trainers.BpeTrainer(vocab_size=300, special_tokens=["<|endoftext|>"],
                                                       initial_alphabet=pre_tokenizers.ByteLevel.alphabet()))
    tk.add_special_tokens([AddedToken("<|im_start|>", special=True), AddedToken("<|im_end|>", special=True)])
    tk.add_tokens([AddedToken("<think>", special=False), AddedToken("</think>", special=False)])
    tok = transformers.PreTrainedTokenizerFast(tokenizer_object=tk, eos_token="<|endoftext|>",
                                               pad_token="<|endoftext|>")
    tok.chat_template = template
    config = transformers.LlamaConfig(vocab_size=len(tok), hidden_size=16, intermediate_size=32, num_hidden_layers=1,
                                      num_attention_heads=2, num_key_value_heads=1, max_position_embeddings=512,
                                      eos_token_id=tok.eos_token_id, pad_token_id=tok.pad_token_id)
    torch.manual_seed(0)
    transformers.LlamaForCausalLM(config).save_pretrained(out)
    tok.save_pretrained(out)
    return str(out)


def reasoning_sample(p: Problem, idx: int = 0) -> Sample:
    i = int(p.id[1:])
    return Sample(problem_id=p.id, sample_idx=idx, prompt="", response=f"The answer is {p.answer}.",
                  reasoning=REASONING.format(a=i, b=i + 2, c=p.answer), reasoning_closed=True)


def curate(folder: Path, n_shots: int = 0) -> str:
    """Messages rows as curation writes them (the reasoning kept: formats.training_text)."""
    folder.mkdir(parents=True, exist_ok=True)
    prompter = make_prompter("raw")
    if n_shots:  # one worked example in the history, with its reasoning, as a few-shot prompt has
        prompter.exemplars, prompter.n_shots = [Problem(id="x", question="What is 1 plus 2?", answer="3",
                                                        solution="<think>\nI add 1 and 2.\n</think>\n\n3")], 1
    r = Renderer(prompter, {p.id: p for p in PROBLEMS})
    rows = list(messages_rows({p.id: [reasoning_sample(p)] for p in PROBLEMS}, r))
    path = folder / "sft_messages.jsonl"
    path.write_text("".join(json.dumps(x) + "\n" for x in rows))
    (folder / "stats.json").write_text(json.dumps({"prompt": prompter.describe()}))
    return str(path)


def config(model: str, data: str, out: Path, **kw) -> TrainConfig:
    return build(TrainConfig, {"model": model, "data": [data], "output_dir": str(out), "max_steps": 1,
                               "per_device_train_batch_size": 2, "learning_rate": 1e-3, "save_steps": 100,
                               "max_length": 256, **kw})


def decoded_labels(tok, ex) -> str:
    return tok.decode([t for t in ex.labels if t != IGNORE])


def test_a_template_that_strips_reasoning_from_history_keeps_it_in_the_target(tmp_path):
    model = make_model(tmp_path / "m", QWEN3_STYLE)
    tok = transformers.AutoTokenizer.from_pretrained(model)
    data = curate(tmp_path / "c", n_shots=1)
    rows = [json.loads(x) for x in Path(data).read_text().splitlines()]
    # The template does strip it: a conversation rendered whole has no reasoning left.
    whole = tok.apply_chat_template(rows[0]["messages"], tokenize=False)
    assert "<think>" not in whole and "Let me check" not in whole
    examples, stats, kept = load_examples(config(model, data, tmp_path / "o"), tok, method_spec("sft"))
    assert len(examples) == len(PROBLEMS)
    for ex, r, row in zip(examples, kept, rows, strict=True):
        target = row["messages"][-1]["content"]
        assert target.startswith("<think>\n") and "Let me check" in target
        assert decoded_labels(tok, ex) == target + "<|im_end|>"  # the whole trace, then the end of turn
        assert "I add 1 and 2" not in r.prompt  # the history is rendered as the template (and sampling) does
    assert stats.end_of_turn == ["<|im_end|>"]


def test_the_target_ends_with_the_end_of_turn_token_not_eos(tmp_path):
    model = make_model(tmp_path / "m", QWEN3_STYLE)
    tok = transformers.AutoTokenizer.from_pretrained(model)
    im_end = tok.convert_tokens_to_ids("<|im_end|>")
    assert im_end != tok.eos_token_id
    assert end_of_turn(tok, "chat", model) == "<|im_end|>"  # read from the template
    assert end_of_turn(tok, "plain", model) is None and end_of_turn(tok, "joined", model) is None  # EOS
    data = curate(tmp_path / "c")
    examples, _, _ = load_examples(config(model, data, tmp_path / "o"), tok, method_spec("sft"))
    assert all(ex.input_ids[-1] == ex.labels[-1] == im_end for ex in examples)
    # Trained: the manifest says so, and generation stops on it (generation_config.json).
    doc = run_training(config(model, data, tmp_path / "o"), progress=False)
    assert doc["data"]["end_of_turn"] == ["<|im_end|>"]
    gen = json.loads((tmp_path / "o" / "generation_config.json").read_text())
    assert im_end in (gen["eos_token_id"] if isinstance(gen["eos_token_id"], list) else [gen["eos_token_id"]])


def test_the_family_names_the_end_of_turn(tmp_path):
    """A family preset wins over the template (here a template that writes no end token at all)."""
    model = make_model(tmp_path / "m", "{% for m in messages %}{{ m['content'] }}\n{% endfor %}")
    tok = transformers.AutoTokenizer.from_pretrained(model)
    assert end_of_turn(tok, "chat", model) is None  # nothing after the turn: EOS
    assert end_of_turn(tok, "chat", "Qwen/Qwen3-0.6B") == "<|im_end|>"  # models.families: qwen3


def test_a_prefilled_think_is_continued_as_at_sampling_and_eval(tmp_path):
    from mathdistill.sampling.generate import make_prompter as stage_prompter
    from mathdistill.sampling.generate import render_prompts

    model = make_model(tmp_path / "m", PREFILLING)
    tok = transformers.AutoTokenizer.from_pretrained(model)
    data = curate(tmp_path / "c")
    cfg = config(model, data, tmp_path / "o")
    examples, _, kept = load_examples(cfg, tok, method_spec("sft"))
    for ex, r in zip(examples, kept, strict=True):
        assert r.prompt.endswith("<|im_start|>assistant\n<think>\n")
        text = decoded_labels(tok, ex)
        assert text.startswith("I add ") and "<think>" not in text  # the tag is the prompt's, not written twice
        assert text.endswith("</think>\n\nThe answer is " + PROBLEMS[kept.index(r)].answer + ".<|im_end|>")
        # The token sequence is the prompt's, then the continuation: no BPE merge across the tag.
        assert tok.decode(ex.input_ids) == r.prompt + r.completion + "<|im_end|>"
    run_training(cfg, progress=False)

    class Local:
        chat_api = False

        def tokenizer(self):
            return transformers.AutoTokenizer.from_pretrained(str(tmp_path / "o"))

    prompter = stage_prompter(str(tmp_path / "o"), None, 0, loads_local_weights=True, source="local.jsonl",
                              split=None, data_dir=None, seed=0, shots_from=None)
    served = render_prompts(prompter, PROBLEMS, Local()).prompts
    assert served == {p.id: r.prompt for p, r in zip(PROBLEMS, kept, strict=True)}  # sample and eval prompts


def test_an_over_length_trace_is_dropped_and_counted_never_cut(tmp_path):
    model = make_model(tmp_path / "m", QWEN3_STYLE)
    tok = transformers.AutoTokenizer.from_pretrained(model)
    stats = DataStats()
    trace = Row("Q: 1+1?\n", "<think>\n" + "let me think. " * 40 + "\n</think>\n\nThe answer is 2.", False, "plain",
                "x", reasoning=True)
    plain = Row("Q: 1+1?\n", "so " * 80 + "The answer is 2.", False, "plain", "y")
    assert tokenize(trace, tok, 64, "truncate", stats) is None  # truncation: truncate does not cut a trace
    cut = tokenize(plain, tok, 64, "truncate", stats)
    assert cut is not None and len(cut.input_ids) == 64
    assert (stats.dropped_too_long, stats.traces_too_long, stats.truncated) == (1, 1, 1)
    # Read from a file, a row is a trace by its tags, and the manifest's data block counts it.
    data = curate(tmp_path / "c")
    rows = [json.loads(x) for x in Path(data).read_text().splitlines()]
    rows[0]["messages"][-1]["content"] = rows[0]["messages"][-1]["content"].replace("Yes.", "Yes. " * 300)
    Path(data).write_text("".join(json.dumps(x) + "\n" for x in rows))
    cfg = config(model, data, tmp_path / "o", max_length=128, truncation="truncate")
    examples, stats, _ = load_examples(cfg, tok, method_spec("sft"))
    assert len(examples) == len(PROBLEMS) - 1
    assert (stats.dropped_too_long, stats.traces_too_long, stats.truncated) == (1, 1, 0)
    assert stats.reasoning_rows == len(PROBLEMS) - 1  # kept traces: eval's `auto` reads the folder as thinking
    assert run_training(cfg, progress=False)["data"]["traces_too_long"] == 1
    from mathdistill.models.families import detect_family

    assert detect_family(str(tmp_path / "o")).name == "think"
