"""Ranker pieces against hand-computed values: loss, accuracy, head, pooling, encoding, save/reload."""

from __future__ import annotations

import math

import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

from mathdistill.ranker.data import pairwise_accuracy
from mathdistill.ranker.encoding import collate, encode_pairs, pad_id
from mathdistill.ranker.model import RankerModel, ResidualHead, masked_mean, ranker_loss
from mathdistill.ranker.schedule import lr_multiplier
from mathdistill.ranker.validation import best_epoch


def test_loss_matches_hand_computation():
    s_pos, s_neg = torch.tensor([0.9, 0.6]), torch.tensor([0.2, 0.5])
    # ((0.1^3 + 0.2^3) + (0.4^3 + 0.5^3)) / 2
    assert float(ranker_loss(s_pos, s_neg, 3.0)) == pytest.approx((0.001 + 0.008 + 0.064 + 0.125) / 2)
    assert float(ranker_loss(torch.tensor([0.5]), torch.tensor([0.5]), 1.0)) == pytest.approx(1.0)


def test_pairwise_accuracy_counts_strict_wins():
    # 0.9 beats all three; 0.6 beats 0.2 only (a tie with 0.6 is not a win)
    assert pairwise_accuracy([0.9, 0.6], [0.2, 0.7, 0.6]) == pytest.approx(4 / 6)
    with pytest.raises(ValueError):
        pairwise_accuracy([], [0.1])


def test_head_is_the_residual_mlp():
    torch.manual_seed(1)
    head = ResidualHead(4)
    h = torch.randn(3, 4)
    W1, b1 = head.dense1.weight, head.dense1.bias
    W2, b2 = head.dense2.weight, head.dense2.bias
    w, b = head.out.weight[0], head.out.bias[0]
    elu = torch.nn.functional.elu
    h1 = elu(h @ W1.T + b1) + h
    h2 = elu(h1 @ W2.T + b2) + h1
    assert torch.allclose(head(h), torch.sigmoid(h2 @ w + b))


def test_lr_multiplier_and_best_epoch():
    assert lr_multiplier(0, 4) == pytest.approx(1.0)
    assert lr_multiplier(2, 4) == pytest.approx(0.02 + 0.98 * 0.5)
    assert lr_multiplier(3, 4) == pytest.approx(0.02 + 0.98 * (1 + math.cos(math.pi * 3 / 4)) / 2)
    rows = [{"epoch": 1, "val_pairwise_accuracy": 0.7, "val_loss": 0.3},
            {"epoch": 2, "val_pairwise_accuracy": 0.9, "val_loss": 0.2},
            {"epoch": 3, "val_pairwise_accuracy": 0.9, "val_loss": 0.25},
            {"epoch": 4, "val_pairwise_accuracy": 0.8, "val_loss": 0.1}]
    assert best_epoch(rows) == 2
    assert best_epoch([{"epoch": 1, "val_pairwise_accuracy": None, "val_loss": None}] * 2) == 2


def test_masked_mean_ignores_masked_positions():
    torch.manual_seed(0)
    hidden = torch.randn(2, 5, 3)
    mask = torch.tensor([[0, 0, 1, 1, 0], [0, 1, 1, 1, 1]])
    pooled = masked_mean(hidden, mask)
    assert torch.allclose(pooled[0], hidden[0, 2:4].mean(0))
    changed = hidden.clone()
    changed[mask == 0] = 1e3  # question tokens and padding
    assert torch.allclose(masked_mean(changed, mask), pooled)


@pytest.fixture(scope="module")
def tok(tiny_encoder):
    return transformers.AutoTokenizer.from_pretrained(tiny_encoder)


@pytest.fixture(scope="module")
def model(tiny_encoder):
    return RankerModel.from_encoder(tiny_encoder, seed=0).eval()


def test_rationale_mask_covers_every_rationale_token(tok):
    q, r = "What is two plus two?", "Four is the answer."
    (e,) = encode_pairs(tok, [(q, r)], 64)
    rat = [i for i, m in zip(e.input_ids, e.rationale_mask, strict=True) if m]
    assert tok.decode(rat) == tok.decode(tok(r, add_special_tokens=False)["input_ids"])  # first token kept
    assert rat[0] == tok(r, add_special_tokens=False)["input_ids"][0]
    assert not e.truncated and e.input_ids[0] == tok.cls_token_id and e.input_ids[-1] == tok.sep_token_id
    assert e.rationale_mask[-1] == 0  # the closing [SEP] is not pooled


def test_truncation_cuts_the_question_not_the_rationale(tok):
    q = " ".join(["apple"] * 200) + " what is it?"
    r = "It is a fruit, so the answer is fruit."
    n_r = len(tok(r, add_special_tokens=False)["input_ids"])
    (e,) = encode_pairs(tok, [(q, r)], 32)
    assert e.truncated and len(e.input_ids) == 32
    assert sum(e.rationale_mask) == n_r
    # A rationale longer than the window keeps its end (the answer) and a bit of the question.
    long_r = "step " * 100 + "so the answer is 42"
    (e2,) = encode_pairs(tok, [("What is six times seven?", long_r)], 32)
    assert len(e2.input_ids) == 32 and e2.truncated
    kept = [i for i, m in zip(e2.input_ids, e2.rationale_mask, strict=True) if m]
    assert tok.decode(kept).endswith("answer is 42")
    assert sum(1 for m, t in zip(e2.rationale_mask, e2.input_ids, strict=True)
               if not m and t not in (tok.cls_token_id, tok.sep_token_id)) > 0


def test_score_depends_on_rationale_not_on_padding_or_question_states(model, tok):
    pairs = [("What is 1 plus 1?", "It is 2."), ("A much longer question " * 5, "A longer rationale " * 6)]
    enc = encode_pairs(tok, pairs, 128)
    pad = pad_id(tok)
    with torch.inference_mode():
        alone = model(**collate(enc[:1], pad))
        batched = model(**collate(enc, pad))  # the first row is now padded
    assert torch.allclose(alone[0], batched[0], atol=1e-5)
    # Question-token hidden states do not enter the pooled vector: perturb them after the encoder.
    batch = collate(enc[:1], pad)
    with torch.inference_mode():
        hidden = model.encoder(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"],
                               token_type_ids=batch["token_type_ids"]).last_hidden_state
        perturbed = hidden.clone()
        perturbed[batch["rationale_mask"] == 0] += 100.0
        assert torch.allclose(masked_mean(perturbed, batch["rationale_mask"]),
                              model.pooled(**batch), atol=1e-5)


def test_attention_mask_is_passed(model, tok, monkeypatch):
    seen = {}
    orig = model.encoder.forward

    def spy(*a, **kw):
        seen.update(kw)
        return orig(*a, **kw)

    monkeypatch.setattr(model.encoder, "forward", spy)
    with torch.inference_mode():
        model(**collate(encode_pairs(tok, [("q?", "r.")], 16), pad_id(tok)))
    assert seen.get("attention_mask") is not None


def test_save_and_reload_give_identical_scores(model, tok, tmp_path):
    from mathdistill.ranker import is_ranker_dir, load_ranker
    from mathdistill.ranker.scorer import score_pairs_with

    pairs = [("What is 3 plus 4?", "7, correct."), ("What is 3 plus 4?", "8, wrong."), ("Q?", "")]
    before = score_pairs_with(model, tok, pairs, 64, batch_size=2)
    model.save(tmp_path / "r", tok, {"max_length": 64})
    assert is_ranker_dir(str(tmp_path / "r")) and not is_ranker_dir(str(tmp_path))
    loaded = load_ranker(tmp_path / "r", device="cpu")
    assert loaded.score_pairs(pairs) == pytest.approx(before, abs=1e-6)
    assert all(0.0 < s < 1.0 for s in before)


def test_package_import_is_light_and_registers_nothing():
    import subprocess
    import sys

    # The loader is handed to load_scorer by eval; importing the ranker changes no global state.
    code = ("import sys, mathdistill.ranker\n"
            "from mathdistill.inference.scorer import SCORER_LOADERS\n"
            "assert mathdistill.ranker.SCORER_LOADER.name == 'ranker-dir'\n"
            "assert 'ranker-dir' not in [x.name for x in SCORER_LOADERS]\n"
            "print(sorted(m for m in ('torch', 'transformers') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_encoder_aliases(minilm_path, tmp_path):
    from mathdistill.ranker import resolve_encoder

    assert resolve_encoder("smollm2") == resolve_encoder("minilm") == str(minilm_path)
    assert resolve_encoder(str(tmp_path)) == str(tmp_path.resolve())
    assert resolve_encoder("org/some-encoder") == "org/some-encoder"
