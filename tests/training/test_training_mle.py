"""CPU tests of `mathdistill train` on a 2-layer Llama built in the test (tiny_lm)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

from mathdistill.errors import ConfigError, DataError, MathdistillError
from mathdistill.models.manifest import MANIFEST, is_complete
from mathdistill.training import TrainConfig, run_training
from mathdistill.training.attention import register
from mathdistill.training.collate import Collator, token_losses
from mathdistill.training.data import IGNORE, DataStats, Row, tokenize
from mathdistill.training.methods import method_spec


def write_rows(path: Path, rows: list[dict]) -> str:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return str(path)


def toy_rows(n: int = 8) -> list[dict]:
    rows = []
    for i in range(n):
        p = f"Problem:\nWhat is {i} plus one?\n\nSolution:\n"
        rows.append({"prompt": p, "completion": f"{i} + 1 = {i + 1}. The answer is {i + 1}." + " Check." * (i % 4),
                     "label": True})
        rows.append({"prompt": p, "completion": f"{i} + 1 = {i + 5}. The answer is {i + 5}.", "label": False})
    return rows


@pytest.fixture
def toy(tmp_path) -> str:
    return write_rows(tmp_path / "kto.jsonl", toy_rows())


def cfg(tiny_lm: str, out: Path, data: list[str], **kw) -> TrainConfig:
    base = {"model": tiny_lm, "data": data, "output_dir": str(out), "learning_rate": 5e-3, "max_steps": 6,
            "per_device_train_batch_size": 4, "logging_steps": 1, "save_steps": 100, "warmup_ratio": 0.0,
            "lr_scheduler_type": "constant", "max_length": 128}
    base.update(kw)
    from mathdistill.config import build

    return build(TrainConfig, base)


@pytest.fixture(scope="module")
def tok(tiny_lm):
    from mathdistill.models.loading import load_tokenizer

    return load_tokenizer(tiny_lm)


def test_labels_cover_completion_and_eos_only(tok):
    row = Row("Problem:\nWhat is 2+2?\n\nSolution:\n", "2+2=4. The answer is 4.", False, "plain", "x:1")
    ex = tokenize(row, tok, 128, "drop", DataStats())
    n_prompt = sum(1 for x in ex.labels if x == IGNORE)
    assert ex.labels[:n_prompt] == [IGNORE] * n_prompt and IGNORE not in ex.labels[n_prompt:]
    assert ex.input_ids[-1] == tok.eos_token_id == ex.labels[-1]
    assert tok.decode(ex.labels[n_prompt:-1]) == row.completion
    assert tok.decode(ex.input_ids[:n_prompt]) == row.prompt


def test_collator_pads_with_ignore_and_packs_with_reset_positions(tok):
    st = DataStats()
    exs = [tokenize(Row("Q: a?\n", "short", False, "plain", "x"), tok, 64, "drop", st),
           tokenize(Row("Q: b?\n", "a much longer completion here", True, "plain", "x"), tok, 64, "drop", st)]
    feats = [{"input_ids": e.input_ids, "labels": e.labels, "negative": e.negative} for e in exs]
    pad = Collator(tok.pad_token_id, packing=False, negative_weights=method_spec("nt").negative_weights(0.05))(feats)
    n0 = len(exs[0].input_ids)
    assert pad["attention_mask"][0].tolist() == [1] * n0 + [0] * (pad["input_ids"].shape[1] - n0)
    assert (pad["labels"][0, n0:] == IGNORE).all()
    assert pad["ce_weight"][1, 0].item() == pytest.approx(-0.05)
    packed = Collator(tok.pad_token_id, packing=True)(feats)
    assert packed["input_ids"].shape == (1, n0 + len(exs[1].input_ids)) and "attention_mask" not in packed
    assert packed["position_ids"][0, n0].item() == 0 and packed["labels"][0, n0].item() == IGNORE


@pytest.mark.parametrize("attn", ["sdpa", "packed"])
def test_packed_and_unpacked_give_the_same_per_example_loss(tiny_lm, tok, attn):
    # "packed" is what training loads on CPU (training/attention.py); sdpa is transformers' block mask.
    impl = register() if attn == "packed" else attn
    model = transformers.AutoModelForCausalLM.from_pretrained(tiny_lm, attn_implementation=impl).eval()
    st = DataStats()
    exs = [tokenize(Row(f"Problem {i}:\n", "word " * (3 + 5 * i), False, "plain", "x"), tok, 128, "drop", st)
           for i in range(3)]
    feats = [{"input_ids": e.input_ids, "labels": e.labels, "negative": False} for e in exs]
    with torch.no_grad():
        pad = Collator(tok.pad_token_id, packing=False)(feats)
        ce = token_losses(model(input_ids=pad["input_ids"], attention_mask=pad["attention_mask"]).logits,
                          pad["labels"])
        unpacked = ce.sum(dim=1)
        pk = Collator(tok.pad_token_id, packing=True)(feats)
        ce_p = token_losses(model(input_ids=pk["input_ids"], position_ids=pk["position_ids"], use_cache=False).logits,
                            pk["labels"])[0]
    bounds, start = [], 0
    for e in exs:
        bounds.append((start, start + len(e.input_ids)))
        start += len(e.input_ids)
    # ce_p[t] is the loss of predicting token t+1; example k owns targets in (s, e).
    packed = torch.stack([ce_p[s:e - 1].sum() for s, e in bounds])
    assert torch.allclose(packed, unpacked, atol=1e-4), (packed, unpacked)
    # Cross-attention would change later examples' losses: the mask really is block-diagonal.
    with torch.no_grad():
        no_reset = model(input_ids=pk["input_ids"], use_cache=False).logits
    assert not torch.allclose(token_losses(no_reset, pk["labels"])[0], ce_p, atol=1e-3)


def test_packed_attention_runs_in_fp32_on_cpu_under_bf16_autocast(monkeypatch):
    # The CPU flash kernel is much slower in bf16 than in fp32: under autocast our attention must hand it fp32
    # (autocast would otherwise recast), give back the caller's dtype, and match an fp32 reference, gradients too.
    import torch.nn.functional as F

    from mathdistill.training.attention import packed_sdpa_attention

    seen = []
    real = F.scaled_dot_product_attention

    def spy(q, k, v, **kw):
        out = real(q, k, v, **kw)
        seen.append((q.dtype, k.dtype, v.dtype, out.dtype))
        return out

    monkeypatch.setattr(F, "scaled_dot_product_attention", spy)
    torch.manual_seed(0)
    lens = [5, 9, 3]
    pos = torch.cat([torch.arange(n) for n in lens])[None]
    q = torch.randn(1, 4, sum(lens), 8, requires_grad=True)
    k = torch.randn(1, 2, sum(lens), 8, requires_grad=True)
    v = torch.randn(1, 2, sum(lens), 8, requires_grad=True)
    module = torch.nn.Module()
    module.is_causal = True
    module.train()
    with torch.autocast("cpu", dtype=torch.bfloat16):
        out, _ = packed_sdpa_attention(module, q, k, v.to(torch.bfloat16), None, position_ids=pos)
    assert out.dtype == torch.bfloat16 and out.shape == (1, sum(lens), 4, 8)
    assert seen and all(d == (torch.float32,) * 4 for d in seen)
    out.float().sum().backward()
    gq = q.grad.clone()
    q.grad = None
    seen.clear()
    ref, _ = packed_sdpa_attention(module, q, k, v, None, position_ids=pos)  # plain fp32, no autocast
    ref.sum().backward()
    assert torch.allclose(out.float(), ref, atol=2e-2)
    assert torch.allclose(gq, q.grad, atol=2e-2)


def test_training_loads_per_example_attention_on_cpu_and_saves_a_plain_config(tiny_lm, tmp_path, toy):
    from mathdistill.training.attention import NAME

    out = tmp_path / "sft"
    res = run_training(cfg(tiny_lm, out, [toy], max_steps=1))
    assert res["attn_implementation"] == NAME
    # Checkpoints must load anywhere (vLLM, plain HF) without this package's attention registered.
    assert "mathdistill" not in (out / "config.json").read_text()
    unpacked = run_training(cfg(tiny_lm, tmp_path / "u", [toy], max_steps=1, packing=False))
    assert unpacked["attn_implementation"] == "sdpa"


@pytest.mark.parametrize("method,kw", [("sft", {}), ("neg", {"lora.r": 8, "learning_rate": 2e-2}),
                                       ("mix", {"packing": False}), ("nt", {}), ("ul", {}),
                                       # DPO and KTO train a reference model too: ~1 min each on 2 cores
                                       pytest.param("dpo", {"lora.r": 8, "learning_rate": 2e-2}, marks=pytest.mark.slow),
                                       pytest.param("kto", {}, marks=pytest.mark.slow)])
def test_loss_decreases_for_every_method(tiny_lm, tmp_path, toy, method, kw):
    data = [toy]
    if method == "dpo":
        rows = toy_rows()
        pairs = [{"prompt": rows[i]["prompt"], "chosen": rows[i]["completion"], "rejected": rows[i + 1]["completion"]}
                 for i in range(0, len(rows), 2)]
        data = [write_rows(tmp_path / "pairs.jsonl", pairs)]
    lora = {"lora": {"r": kw.pop("lora.r")}} if "lora.r" in kw else {}
    doc = run_training(cfg(tiny_lm, tmp_path / "out", data, method=method, max_steps=8, **kw, **lora), progress=False)
    m = doc["metrics"]
    assert m["global_step"] == 8 and m["last_loss"] < m["first_loss"], m
    assert is_complete(tmp_path / "out")
    if method in ("sft", "nat"):
        assert doc["data"]["negatives"] == 0 and doc["data"]["skipped_by_method"] == 8
    if method == "neg":
        assert doc["data"]["positives"] == 0 and doc["data"]["negatives"] == 8


def test_lora_keeps_base_bit_identical_and_reloads_with_identical_logits(tiny_lm, tmp_path, toy):
    from safetensors.torch import load_file

    from mathdistill.training.mle import build_mle
    from mathdistill.training.steps import finish

    c = cfg(tiny_lm, tmp_path / "lora", [toy], lora={"r": 4, "target_modules": ["q_proj", "v_proj", "o_proj"]})
    b = build_mle(c, method_spec(c.method), progress=False)
    b["trainer"].train()
    finish(b["trainer"], b["tok"], c, b["model"])
    original = load_file(str(Path(tiny_lm) / "model.safetensors"))
    trained = {k.replace("base_model.model.", "").replace(".base_layer", ""): v
               for k, v in b["model"].state_dict().items() if "lora_" not in k}
    moved = [k for k, v in original.items() if not torch.equal(trained[k], v)]
    assert not moved
    assert any(not torch.equal(v, torch.zeros_like(v)) for k, v in b["model"].state_dict().items() if "lora_B" in k)
    peft = pytest.importorskip("peft")
    again = peft.PeftModel.from_pretrained(transformers.AutoModelForCausalLM.from_pretrained(tiny_lm),
                                           str(tmp_path / "lora")).eval()
    ids = torch.tensor([b["tok"]("Problem:\nWhat is 3 plus one?\n")["input_ids"]])
    with torch.no_grad():
        assert torch.equal(b["model"].eval()(input_ids=ids).logits, again(input_ids=ids).logits)
    cfg_json = json.loads((tmp_path / "lora" / "adapter_config.json").read_text())
    assert cfg_json["r"] == 4


def test_full_finetune_save_reload_identical_logits(tiny_lm, tmp_path, toy):
    from mathdistill.training.mle import build_mle
    from mathdistill.training.steps import finish

    c = cfg(tiny_lm, tmp_path / "full", [toy], max_steps=2)
    b = build_mle(c, method_spec(c.method), progress=False)
    b["trainer"].train()
    finish(b["trainer"], b["tok"], c, b["model"])
    again = transformers.AutoModelForCausalLM.from_pretrained(str(tmp_path / "full")).eval()
    ids = torch.tensor([b["tok"]("Problem: 1+1?")["input_ids"]])
    with torch.no_grad():
        assert torch.equal(b["model"].eval()(input_ids=ids).logits, again(input_ids=ids).logits)


@pytest.mark.slow  # tens of seconds on 2 cores: in the slow suite, which CI also runs
def test_rerun_resumes_from_last_complete_checkpoint(tiny_lm, tmp_path, toy):
    out = tmp_path / "resume"
    c = cfg(tiny_lm, out, [toy], max_steps=4, save_steps=2, save_total_limit=None)
    run_training(c, progress=False)
    # Simulate a kill after checkpoint-2: no final model, checkpoint-4 torn mid-save.
    (out / MANIFEST).unlink()
    (out / "checkpoint-4" / "trainer_state.json").write_text("{\"glob")
    doc = run_training(cfg(tiny_lm, out, [toy], max_steps=4, save_steps=2, save_total_limit=None), progress=False)
    assert doc["resumed_from"].endswith("checkpoint-2")
    assert doc["metrics"]["global_step"] == 4
    state = json.loads((out / "trainer_state.json").read_text())
    assert next(h["step"] for h in state["log_history"] if "loss" in h) == 1  # history carried over from the ckpt


def test_rerun_with_other_config_is_refused(tiny_lm, tmp_path, toy):
    out = tmp_path / "guard"
    run_training(cfg(tiny_lm, out, [toy], max_steps=1), progress=False)
    assert run_training(cfg(tiny_lm, out, [toy], max_steps=1), progress=False)["status"] == "complete"
    with pytest.raises(ConfigError, match="another config"):  # a finished folder is not silently reused
        run_training(cfg(tiny_lm, out, [toy], max_steps=2), progress=False)
    (out / MANIFEST).unlink()
    with pytest.raises(ConfigError, match="another config"):
        run_training(cfg(tiny_lm, out, [toy], max_steps=1, learning_rate=1e-3), progress=False)


def test_over_length_examples_are_counted(tiny_lm, tmp_path):
    rows = [{"prompt": "Q:\n", "completion": "word " * 200}, {"prompt": "Q:\n", "completion": "ok"}]
    data = write_rows(tmp_path / "long.jsonl", rows)
    doc = run_training(cfg(tiny_lm, tmp_path / "drop", [data], max_steps=1, max_length=32), progress=False)
    assert doc["data"]["dropped_too_long"] == 1 and doc["data"]["positives"] == 1
    doc = run_training(cfg(tiny_lm, tmp_path / "trunc", [data], max_steps=1, max_length=32, truncation="truncate"),
                       progress=False)
    assert doc["data"]["truncated"] == 1 and doc["data"]["positives"] == 2


@pytest.mark.parametrize("content,match", [
    ("", "empty file"),
    ('{"prompt": "Q"}\n', "bad.jsonl:1: field 'completion': missing required field"),
    ('{"prompt": "Q", "completion": "A"}\n{"question": "x"}\n', "bad.jsonl:2: field 'completion'"),
    ('{"prompt": "Q", "completion": "   "}\n', "field 'completion': is empty"),
    ('{"prompt": "Q", "completion": "A", "label": "yes"}\n', "field 'label'"),
    ('{"messages": [{"role": "user", "content": "Q"}]}\n', "last message must be the assistant"),
])
def test_bad_input_is_one_clear_error(tiny_lm, tmp_path, content, match):
    (tmp_path / "bad.jsonl").write_text(content)
    with pytest.raises((DataError, MathdistillError), match=match):
        run_training(cfg(tiny_lm, tmp_path / "o", [str(tmp_path / "bad.jsonl")], max_steps=1), progress=False)


def test_unknown_method_and_missing_targets(tiny_lm, tmp_path, toy):
    with pytest.raises(ConfigError, match="unknown method 'rlhf'"):
        cfg(tiny_lm, tmp_path / "o", [toy], method="rlhf")
    with pytest.raises(ConfigError, match="c_attn: not in"):
        run_training(cfg(tiny_lm, tmp_path / "o", [toy], lora={"r": 4, "target_modules": ["c_attn"]}),
                     progress=False)


def test_messages_rows_record_chat_format_for_eval(tiny_lm, tmp_path):
    from mathdistill.models.manifest import trained_prompt

    rows = [{"messages": [{"role": "user", "content": f"What is {i}+1?"},
                          {"role": "assistant", "content": f"The answer is {i + 1}."}]} for i in range(4)]
    data = write_rows(tmp_path / "sft_messages.jsonl", rows)
    (tmp_path / "stats.json").write_text(json.dumps({"prompt": {"template": {"name": "gsm8k"}}}))
    out = tmp_path / "chat"
    doc = run_training(cfg(tiny_lm, out, [data], max_steps=1), progress=False)
    assert doc["prompt"]["rendering"] == "chat" and doc["prompt"]["template"] == "gsm8k"
    assert trained_prompt(str(out)) == ("gsm8k", "chat")


def test_cli_trains_and_reports_errors_in_one_line(tiny_lm, tmp_path, toy):
    from typer.testing import CliRunner

    from mathdistill.cli.main import app

    r = CliRunner().invoke(app, ["train", "--method", "sft", "--data", toy, "--model", tiny_lm, "--out",
                                 str(tmp_path / "cli"), "--max-steps", "2", "--per-device-train-batch-size", "2",
                                 "--set", "logging_steps=1", "--no-progress"])
    assert r.exit_code == 0, r.output
    assert is_complete(tmp_path / "cli") and (tmp_path / "cli" / "config.yaml").exists()
    from mathdistill.cli.main import main

    with pytest.raises(SystemExit):
        main(["train", "--method", "sft", "--data", str(tmp_path / "missing.jsonl"), "--model", tiny_lm,
              "--out", str(tmp_path / "x")])


def test_merge_writes_a_plain_model_with_the_adapters_logits(tiny_lm, tmp_path, toy):
    out = tmp_path / "merge"
    doc = run_training(cfg(tiny_lm, out, [toy], max_steps=2, merge=True, gradient_checkpointing=True,
                           lora={"r": 4}), progress=False)
    assert doc["merged"] == str(out / "merged") and not (out / "merged" / "adapter_config.json").exists()
    peft = pytest.importorskip("peft")
    x = torch.tensor([[1, 2, 3, 4, 5]])
    merged = transformers.AutoModelForCausalLM.from_pretrained(str(out / "merged")).eval()
    adapter = peft.PeftModel.from_pretrained(transformers.AutoModelForCausalLM.from_pretrained(tiny_lm),
                                             str(out)).eval()
    with torch.no_grad():
        assert torch.allclose(merged(input_ids=x).logits, adapter(input_ids=x).logits, atol=1e-5)


def test_report_to_tensorboard_writes_event_files_offline(tiny_lm, tmp_path, toy):
    pytest.importorskip("tensorboard")
    out = tmp_path / "tb"
    run_training(cfg(tiny_lm, out, [toy], max_steps=2, report_to=["tensorboard"]), progress=False)
    assert list(out.rglob("events.out.tfevents.*"))
