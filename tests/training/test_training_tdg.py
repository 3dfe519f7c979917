"""NAT and NCE ("Turning Dust into Gold") on a tiny Llama: init, freezing, save/load, teacher, weights."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")
peft = pytest.importorskip("peft")

from mathdistill.errors import MathdistillError
from mathdistill.models.nat import (
    NAT_WEIGHTS,
    build_nat,
    load_nat,
    load_negative_adapter,
    nat_modules,
    set_mode,
)
from mathdistill.training import TrainConfig, run_training
from mathdistill.training.collate import segment_ids
from mathdistill.training.nce import load_teacher, sequence_weights

from .test_training_mle import cfg, toy_rows, write_rows

NAT_CFG = {"base_model": None, "target_modules": ["q_proj", "v_proj"], "r": 8, "lora_alpha": 16,
           "lora_dropout": 0.0, "bottleneck": 16, "beta": 0.5, "temperature": 1.0}


@pytest.fixture(scope="module")
def toy_file(tmp_path_factory) -> str:
    return write_rows(tmp_path_factory.mktemp("tdg") / "kto.jsonl", toy_rows())


@pytest.fixture(scope="module")
def neg_dir(tiny_lm, tmp_path_factory, toy_file) -> str:
    out = tmp_path_factory.mktemp("neg") / "neg"
    run_training(cfg(tiny_lm, out, [toy_file], method="neg", learning_rate=5e-2, max_steps=4), progress=False)
    return str(out)


@pytest.fixture(scope="module")
def nat_dir(tiny_lm, tmp_path_factory, toy_file, neg_dir) -> str:
    out = tmp_path_factory.mktemp("nat") / "nat"
    run_training(cfg(tiny_lm, out, [toy_file], method="nat", learning_rate=2e-2, max_steps=6,
                     nat={"negative_adapter": neg_dir, "bottleneck": 16}), progress=False)
    return str(out)


def ids(tiny_lm):
    tok = transformers.AutoTokenizer.from_pretrained(tiny_lm)
    return torch.tensor([tok("Problem:\nWhat is 4 plus one?\n\nSolution:\n4 + 1 = 5.")["input_ids"]])


def logits(model, x):
    with torch.no_grad():
        return model(input_ids=x, use_cache=False).logits


def test_fresh_nat_computes_exactly_the_base_model(tiny_lm, neg_dir):
    base = transformers.AutoModelForCausalLM.from_pretrained(tiny_lm).eval()
    nat = build_nat(tiny_lm, {**NAT_CFG, "base_model": tiny_lm}).eval()
    assert load_negative_adapter(nat, neg_dir) == 4  # q_proj, v_proj in 2 layers
    x = ids(tiny_lm)
    assert torch.equal(logits(nat, x), logits(base, x))  # W_V2 = 0: integration output exactly zero
    set_mode(nat, "neg")
    assert not torch.allclose(logits(nat, x), logits(base, x))  # the negative adapter is really there


def test_nat_handles_layers_with_d_in_not_d_out(tiny_lm):
    nat = build_nat(tiny_lm, {**NAT_CFG, "base_model": tiny_lm, "target_modules": ["k_proj", "o_proj"]}).eval()
    k = nat_modules(nat)["model.layers.0.self_attn.k_proj"]
    assert k.base.in_features != k.base.out_features and k.W_K.in_features == k.base.out_features
    with torch.no_grad():
        for m in nat_modules(nat).values():
            torch.nn.init.normal_(m.W_V2.weight, std=0.1)
    assert logits(nat, ids(tiny_lm)).shape[-1] == nat.config.vocab_size


def test_nat_training_freezes_base_and_negative_adapter(tiny_lm, neg_dir, nat_dir):
    from safetensors.torch import load_file

    nat = load_file(str(Path(nat_dir) / NAT_WEIGHTS))
    neg = load_file(str(Path(neg_dir) / "adapter_model.safetensors"))
    for k, v in nat.items():
        if "lora_A_neg" in k or "lora_B_neg" in k:
            name = k.rsplit(".lora_", 1)[0]
            ab = "lora_A" if "lora_A_neg" in k else "lora_B"
            src = next(t for n, t in neg.items() if n.endswith(f"{name}.{ab}.weight"))
            assert torch.equal(v, src), k
    assert any(v.abs().sum() > 0 for k, v in nat.items() if "W_V2" in k)  # the unit did learn
    model = load_nat(nat_dir)
    base = load_file(str(Path(tiny_lm) / "model.safetensors"))
    sd = {k.replace(".base.", "."): v for k, v in model.state_dict().items()}
    assert all(torch.equal(sd[k], v) for k, v in base.items())
    m = json.loads((Path(nat_dir) / "mathdistill_train.json").read_text())
    assert m["parameters"]["trainable"] > 0 and m["alpha_neg_last"] is not None
    assert -0.5 < m["alpha_neg_last"] < 0.5


def test_nat_save_reload_identical_and_strict(tiny_lm, nat_dir, tmp_path):
    from safetensors.torch import load_file, save_file

    a, b = load_nat(nat_dir), load_nat(nat_dir)
    x = ids(tiny_lm)
    assert torch.equal(logits(a, x), logits(b, x))
    broken = tmp_path / "broken"
    broken.mkdir()
    for f in Path(nat_dir).iterdir():
        if f.is_file():
            (broken / f.name).write_bytes(f.read_bytes())
    sd = {k: v for k, v in load_file(str(broken / NAT_WEIGHTS)).items() if "lora_B_neg" not in k}
    save_file(sd, str(broken / NAT_WEIGHTS))
    with pytest.raises(MathdistillError, match="missing"):
        load_nat(broken)


def test_nce_teacher_holds_both_adapters(tiny_lm, neg_dir, nat_dir):
    teacher = load_teacher(nat_dir, "cpu", torch.float32)
    x = ids(tiny_lm)
    base = transformers.AutoModelForCausalLM.from_pretrained(tiny_lm).eval()
    with_neg = peft.PeftModel.from_pretrained(transformers.AutoModelForCausalLM.from_pretrained(tiny_lm), neg_dir).eval()
    set_mode(teacher, "neg")
    assert torch.allclose(logits(teacher, x), logits(with_neg, x), atol=1e-5)
    assert not torch.allclose(logits(teacher, x), logits(base, x), atol=1e-3)  # dropped adapter would equal base
    set_mode(teacher, "mix")
    assert not torch.allclose(logits(teacher, x), logits(with_neg, x), atol=1e-4)


def test_nce_sequence_weights_match_hand_computation():
    z_t = torch.tensor([[0.0, 1.0, 2.0], [1.0, 0.0, 0.0], [0.5, 0.5, 0.0]])
    z_n = torch.tensor([[2.0, 1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 3.0]])
    seg = torch.tensor([0, 0, 7])

    def kl(a, b):
        pa = [math.exp(v) / sum(math.exp(u) for u in a) + 1e-7 for v in a]
        lb = [v - math.log(sum(math.exp(u) for u in b)) for v in b]
        return sum(p * (math.log(p) - q) for p, q in zip(pa, lb, strict=True))

    b0 = math.tanh((kl(z_n[0].tolist(), z_t[0].tolist()) + kl(z_n[1].tolist(), z_t[1].tolist())) / 2)
    b1 = math.tanh(kl(z_n[2].tolist(), z_t[2].tolist()))
    w, beta = sequence_weights(z_t, z_n, seg)
    assert beta.tolist() == pytest.approx([b0, b1], rel=1e-5)
    assert w.tolist() == pytest.approx([0.5 + b0, 0.5 + b0, 0.5 + b1], rel=1e-5)


def test_segment_ids_split_packed_rows():
    labels = torch.zeros(1, 6, dtype=torch.long)
    assert segment_ids(labels, torch.tensor([[0, 1, 2, 0, 1, 0]])).tolist() == [[0, 0, 0, 1, 1, 2]]
    assert segment_ids(torch.zeros(2, 3, dtype=torch.long), None).tolist() == [[0, 0, 0], [1, 1, 1]]


@pytest.mark.slow  # tens of seconds on 2 cores: in the slow suite, which CI also runs
def test_nce_trains_a_fresh_student_lora(tiny_lm, toy_file, nat_dir, tmp_path):
    c = cfg(tiny_lm, tmp_path / "nce", [toy_file], method="nce", learning_rate=2e-2, max_steps=6,
            nce={"teacher": nat_dir})
    assert isinstance(c, TrainConfig) and c.lora.r == 8
    doc = run_training(c, progress=False)
    assert doc["metrics"]["last_loss"] < doc["metrics"]["first_loss"]
    assert (tmp_path / "nce" / "adapter_config.json").exists() and doc["nce_beta_last"] is not None


def test_nat_dir_generates_through_hf_backend(nat_dir):
    from mathdistill.sampling.backends.hf import HFBackend
    from mathdistill.sampling.base import GenerationRequest, SamplingParams

    b = HFBackend(nat_dir, batch_size=2)
    out = b.generate([GenerationRequest("Problem:\nWhat is 1 plus one?\n\nSolution:\n",
                                        SamplingParams(n=1, temperature=0.0, max_tokens=5))])
    assert len(out[0]) == 1 and out[0][0].num_tokens
    from mathdistill.models.prepare import prepare_model

    assert prepare_model(nat_dir, runs_nat=True) == str(Path(nat_dir).resolve())
    with pytest.raises(MathdistillError, match="only the hf backend"):
        prepare_model(nat_dir, runs_nat=False)
