"""Training, sampling and eval prompt a model with byte-identical text (issue 17 item 1, methods.md 4.11).

Tiny tokenizers are built here, with and without a chat template (a base model such as Llama-2-7b-hf
has none), and a one-layer Llama is trained on curated rows for one step. The trained folder must
record how its prompts were rendered, and the prompt that sampling (`sample --model DIR`, iterative RFT
rounds) and eval (`eval --model DIR`) send for a problem must be the exact string it was trained on.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")
pytest.importorskip("tokenizers")

from mathdistill.config import build
from mathdistill.curation.formats import Renderer, messages_rows, sft_rows
from mathdistill.data.prompts import make_prompter
from mathdistill.records import Problem, Sample
from mathdistill.training import TrainConfig, run_training
from mathdistill.training.data import load_examples
from mathdistill.training.methods import method_spec

PROBLEMS = [Problem(id=f"p{i}", question=f"Tom has {i} apples and buys {i + 2} more. How many now?",
                    answer=str(2 * i + 2)) for i in range(4)]
CHAT_TEMPLATE = ("{% for m in messages %}<|{{ m['role'] }}|>{{ m['content'] }}\n{% endfor %}"
                 "{% if add_generation_prompt %}<|assistant|>{% endif %}")


def make_model(out: Path, chat: bool) -> str:
    """A byte-level BPE tokenizer that adds BOS (as Llama's), with or without a chat template, and a
    one-layer Llama over its vocabulary."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers

    tk = Tokenizer(models.BPE())
    tk.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tk.decoder = decoders.ByteLevel()
    corpus = [p.question for p in PROBLEMS] + ["Question: Answer: Let's think step by step. The answer is",
                                               "Below is an instruction ### Response:"]
    tk.train_from_iterator(corpus, trainers.BpeTrainer(vocab_size=320, special_tokens=["<s>", "</s>", "<pad>"],
                                                       initial_alphabet=pre_tokenizers.ByteLevel.alphabet()))
    tk.post_processor = processors.TemplateProcessing(single="<s> $A", special_tokens=[("<s>", tk.token_to_id("<s>"))])
    tok = transformers.PreTrainedTokenizerFast(tokenizer_object=tk, bos_token="<s>", eos_token="</s>",
                                               pad_token="<pad>")
    if chat:
        tok.chat_template = CHAT_TEMPLATE
    config = transformers.LlamaConfig(vocab_size=len(tok), hidden_size=16, intermediate_size=32,
                                      num_hidden_layers=1, num_attention_heads=2, num_key_value_heads=1,
                                      max_position_embeddings=512, bos_token_id=tok.bos_token_id,
                                      eos_token_id=tok.eos_token_id, pad_token_id=tok.pad_token_id)
    torch.manual_seed(0)
    transformers.LlamaForCausalLM(config).save_pretrained(out)
    tok.save_pretrained(out)
    return str(out)


def curate_rows(folder: Path, template: str, fmt: str) -> str:
    """Rows as curation writes them (formats.Renderer), plus the stats.json naming the template."""
    folder.mkdir(parents=True, exist_ok=True)
    problems = {p.id: p for p in PROBLEMS}
    r = Renderer(make_prompter(template), problems)
    pos = {p.id: [Sample(problem_id=p.id, sample_idx=0, prompt="", response=f"So {p.answer}. The answer is "
                                                                               f"{p.answer}.")] for p in PROBLEMS}
    rows = list(messages_rows(pos, r) if fmt == "messages" else sft_rows(pos, r))
    path = folder / ("sft_messages.jsonl" if fmt == "messages" else "sft.jsonl")
    path.write_text("".join(json.dumps(x) + "\n" for x in rows))
    (folder / "stats.json").write_text(json.dumps({"prompt": make_prompter(template).describe()}))
    return str(path)


def train(model: str, data: str, out: Path, **kw) -> tuple[dict, dict[str, str]]:
    """One training step; returns the manifest and the training prompt of each problem."""
    cfg = build(TrainConfig, {"model": model, "data": [data], "output_dir": str(out), "max_steps": 1,
                              "per_device_train_batch_size": 2, "learning_rate": 1e-3, "save_steps": 100,
                              "max_length": 256, **kw})
    doc = run_training(cfg, progress=False)
    tok = transformers.AutoTokenizer.from_pretrained(model)
    _, _, rows = load_examples(cfg, tok, method_spec("sft"))
    lines = [json.loads(x) for x in Path(data).read_text().splitlines()]
    return doc, {d["problem_id"]: r.prompt for d, r in zip(lines, rows, strict=True)}


class TokenizerOnly:
    """What render_prompts asks a local backend for: its tokenizer (from the folder it loads)."""

    chat_api = False

    def __init__(self, path: str):
        self._tok = transformers.AutoTokenizer.from_pretrained(path)

    def tokenizer(self):
        return self._tok


def served_prompts(model_dir: str, loaded: str | None = None) -> dict[str, str]:
    """The prompts `sample --model DIR` / `eval --model DIR` send: sampling.generate, as both stages call it."""
    from mathdistill.sampling.generate import make_prompter as stage_prompter
    from mathdistill.sampling.generate import render_prompts

    prompter = stage_prompter(model_dir, None, 0, loads_local_weights=True, source="local.jsonl", split=None,
                              data_dir=None, seed=0, shots_from=None)
    return render_prompts(prompter, PROBLEMS, TokenizerOnly(loaded or model_dir)).prompts


@pytest.mark.parametrize(("chat", "template", "fmt", "rendering"), [
    (False, "gsm8k", "messages", "joined"),  # a base model: chat rows, no chat template
    (True, "gsm8k", "messages", "chat"),
    (True, "alpaca", "messages", "chat"),  # a plain-only template's chat rows on a chat tokenizer
    (True, "gsm8k", "sft", "plain"),  # prompt/completion rows on a chat tokenizer
    (False, "alpaca", "sft", "plain"),
])
def test_train_sample_and_eval_prompts_are_byte_identical(tmp_path, chat, template, fmt, rendering):
    model = make_model(tmp_path / "base", chat)
    data = curate_rows(tmp_path / "curate", template, fmt)
    doc, trained = train(model, data, tmp_path / "train")
    assert doc["prompt"]["rendering"] == rendering and doc["prompt"]["template"] == template
    assert served_prompts(str(tmp_path / "train")) == trained


def test_iterative_rft_rounds_keep_one_prompt(tmp_path, monkeypatch):
    """Round 2 samples the round-1 student (a LoRA, merged for the engine) and trains again from the base."""
    from mathdistill.models.prepare import prepare_model

    monkeypatch.setenv("MATHDISTILL_CACHE", str(tmp_path / "cache"))
    model = make_model(tmp_path / "base", chat=False)
    data1 = curate_rows(tmp_path / "curate_r1", "gsm8k", "messages")
    _, trained1 = train(model, data1, tmp_path / "train_r1", lora={"r": 4})
    merged = prepare_model(str(tmp_path / "train_r1"))  # what the sampling engine loads
    assert Path(merged) != tmp_path / "train_r1"
    sampled2 = served_prompts(str(tmp_path / "train_r1"), loaded=merged)
    assert served_prompts(merged) == sampled2 == trained1  # the merged copy is prompted as its adapter
    data2 = curate_rows(tmp_path / "curate_r2", "gsm8k", "messages")
    _, trained2 = train(model, data2, tmp_path / "train_r2", lora={"r": 4})
    assert trained2 == trained1 == served_prompts(str(tmp_path / "train_r2"))


def test_manifests_without_a_rendering_keep_their_meaning(tmp_path):
    from mathdistill.models.manifest import MANIFEST, trained_prompt

    for fmt, want in (("plain", "plain"), ("chat", "auto")):
        d = tmp_path / fmt
        d.mkdir()
        (d / MANIFEST).write_text(json.dumps({"status": "complete", "prompt": {"format": fmt, "template": "gsm8k"}}))
        assert trained_prompt(str(d)) == ("gsm8k", want)
