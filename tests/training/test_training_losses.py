"""NT/UL normalisation, sequence-level UL, warmup on every transformers version, and the global batch
(issue 17 items 6, 8, 9 and the RFT/TDG global batch of 128)."""

from __future__ import annotations

import dataclasses
import math

import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

from mathdistill.config import build
from mathdistill.errors import ConfigError
from mathdistill.training import TrainConfig
from mathdistill.training.collate import IGNORE, Collator, token_losses
from mathdistill.training.methods import method_spec

from .test_training_mle import write_rows


def rows() -> list[dict]:
    """One short positive, two long negatives: the negatives hold most label tokens."""
    p = "Problem:\nWhat is 2 plus 3?\n\nSolution:\n"
    return [{"prompt": p, "completion": "2 + 3 = 5. The answer is 5.", "label": True},
            {"prompt": p, "completion": "2 + 3 = 6 because " + "we add and carry " * 6 + ". The answer is 6.",
             "label": False},
            {"prompt": p, "completion": "2 + 3 = 7 since " + "three and two make seven " * 5 + ". The answer is 7.",
             "label": False}]


def built(tiny_lm, tmp_path, method, **kw):
    from mathdistill.training.mle import build_mle

    data = write_rows(tmp_path / "kto.jsonl", rows())
    cfg = build(TrainConfig, {"method": method, "model": tiny_lm, "data": [data], "output_dir": str(tmp_path / "o"),
                              "max_steps": 1, "per_device_train_batch_size": 3, "max_length": 256, **kw})
    return build_mle(cfg, method_spec(method), progress=False)


def per_example_ce(model, batch):
    """Token CE of every label token, with the example each token belongs to and whether it is negative."""
    with torch.no_grad():
        kw = {k: batch[k] for k in ("input_ids", "attention_mask", "position_ids") if k in batch}
        ce = token_losses(model(**kw).logits, batch["labels"])
    tgt = batch["labels"][:, 1:]
    mask = tgt != IGNORE
    if "position_ids" in batch:
        seg = (batch["position_ids"][:, 1:] == 0).long().cumsum(-1)
    else:
        seg = torch.arange(tgt.shape[0])[:, None].expand_as(tgt)
    return ce[mask], seg[mask], batch["negative"][:, 1:][mask]


@pytest.mark.parametrize("packing", [False, True])
def test_nt_normalises_positives_and_negatives_separately(tiny_lm, tmp_path, packing):
    b = built(tiny_lm, tmp_path, "nt", neg_lambda=0.05, packing=packing)
    trainer, model = b["trainer"], b["model"].eval()
    feats = list(trainer.train_dataset)
    batch = trainer.data_collator(feats)
    ce, _, neg = per_example_ce(model, batch)
    assert neg.sum() > 2 * (~neg).sum()  # the toy case of the issue: negatives dominate the tokens
    want = ce[~neg].mean() - 0.05 * ce[neg].mean()
    joint = (ce[~neg].sum() - 0.05 * ce[neg].sum()) / len(ce)  # the old normalisation
    got = trainer.compute_loss(model, dict(batch)).detach()
    assert float(got) == pytest.approx(float(want), rel=1e-4)
    assert abs(float(got) - float(joint)) > 1e-3


@pytest.mark.parametrize("level", ["token", "sequence"])
def test_unlikelihood_token_and_sequence_level(tiny_lm, tmp_path, level):
    b = built(tiny_lm, tmp_path, "ul", neg_lambda=0.05, ul_level=level, packing=False)
    trainer, model = b["trainer"], b["model"].eval()
    batch = trainer.data_collator(list(trainer.train_dataset))
    ce, seg, neg = per_example_ce(model, batch)
    pos_mean = ce[~neg].mean()
    if level == "token":
        penalty = (-torch.log(-torch.expm1(-ce[neg]))).mean()  # mean over negative tokens of -log(1 - p)
    else:
        nll = [ce[neg & (seg == s)].sum() for s in seg[neg].unique()]  # -log P(y|x) per negative
        penalty = torch.stack([-torch.log(-torch.expm1(-x)).clamp_max(-math.log(1e-5)) for x in nll]).mean()
    got = trainer.compute_loss(model, dict(batch)).detach()
    assert float(got) == pytest.approx(float(pos_mean + 0.05 * penalty), rel=1e-4)


def test_separate_counts_cover_the_accumulated_batch(tiny_lm, tmp_path):
    """With gradient accumulation the denominators are those of the whole optimizer step."""
    b = built(tiny_lm, tmp_path, "nt", neg_lambda=0.05, per_device_train_batch_size=1,
              gradient_accumulation_steps=3)
    trainer, model = b["trainer"], b["model"].eval()
    micro = [trainer.data_collator([f]) for f in trainer.train_dataset]
    it = iter(micro)
    trainer.get_batch_samples(it, 3, torch.device("cpu"))
    model.train()  # compute_loss reads the step's counts while training
    total = sum(float(trainer.compute_loss(model, dict(m)).detach()) for m in micro)
    whole = trainer.data_collator(list(trainer.train_dataset))
    trainer._group_counts = None
    assert total == pytest.approx(float(trainer.compute_loss(model, dict(whole)).detach()), rel=1e-4)


def test_ul_level_is_checked():
    with pytest.raises(ConfigError, match="ul_level"):
        build(TrainConfig, {"method": "ul", "ul_level": "word"})
    assert build(TrainConfig, {"method": "ul"}).ul_level == "token"
    assert build(TrainConfig, {"method": "ul", "preset": "tdg"}).ul_level == "sequence"
    assert method_spec("nt").normalize == method_spec("ul").normalize == "separate"
    assert method_spec("mix").normalize == method_spec("sft").normalize == "joint"


def test_collator_marks_negative_tokens():
    feats = [{"input_ids": [1, 2, 3], "labels": [IGNORE, 2, 3], "negative": False},
             {"input_ids": [1, 4], "labels": [IGNORE, 4], "negative": True}]
    pad = Collator(0, packing=False)(feats)
    assert pad["negative"].tolist() == [[False, False, False], [True, True, False]]
    packed = Collator(0, packing=True)(feats)
    assert packed["negative"].tolist() == [[False, False, False, True, True]]


# ---------------------------------------------------------------- warmup (item 8)


@dataclasses.dataclass
class Transformers4Args:
    """transformers 4.56's warmup fields and rules (training_args.py): an int `warmup_steps` that
    overrides a float `warmup_ratio`; a float `warmup_steps` is refused."""

    warmup_ratio: float = 0.0
    warmup_steps: int = 0

    def __post_init__(self):
        if not isinstance(self.warmup_steps, int) or self.warmup_steps < 0:
            raise ValueError("warmup_steps must be of type int and must be 0 or a positive integer.")

    def get_warmup_steps(self, num_training_steps: int) -> int:
        return self.warmup_steps if self.warmup_steps > 0 else math.ceil(num_training_steps * self.warmup_ratio)


def _cfg(**kw):
    return build(TrainConfig, {"output_dir": "/tmp/unused", **kw})


@pytest.mark.parametrize(("kw", "steps"), [({"warmup_ratio": 0.03}, 30), ({"method": "nat", "nat": {
    "negative_adapter": "x"}}, 200), ({"warmup_ratio": 0.0}, 0)])
def test_warmup_on_transformers_4_and_5(kw, steps):
    from mathdistill.training.trainer import make_args, training_arguments, warmup_kwargs

    cfg = _cfg(**kw)
    assert Transformers4Args(**warmup_kwargs(cfg, Transformers4Args)).get_warmup_steps(1000) == steps
    args = make_args(transformers.TrainingArguments, training_arguments(cfg, False, False))  # the installed one
    assert args.get_warmup_steps(1000) == steps
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1.0)
    sched = transformers.get_scheduler("linear", opt, num_warmup_steps=args.get_warmup_steps(1000),
                                       num_training_steps=1000)
    if steps:
        assert opt.param_groups[0]["lr"] == 0.0  # step 0 of a warmup
        for _ in range(steps // 2):
            opt.step()
            sched.step()
        assert opt.param_groups[0]["lr"] == pytest.approx((steps // 2) / steps)
    else:
        assert opt.param_groups[0]["lr"] == 1.0


def test_old_warmup_argument_fails_on_transformers_4():
    # What 0.x passed: the ratio as warmup_steps. transformers 4.x refuses it (or, unchecked, warms up 0.03 steps).
    with pytest.raises(ValueError):
        Transformers4Args(warmup_steps=0.03)


# ---------------------------------------------------------------- global batch


@pytest.mark.parametrize(("world", "accum"), [(1, 8), (2, 4), (8, 1)])
def test_global_batch_is_the_same_on_any_number_of_gpus(world, accum, monkeypatch):
    from mathdistill.training.trainer import accumulation_steps, training_arguments

    cfg = _cfg(method="nat", nat={"negative_adapter": "x"})  # TDG: 128 in micro-batches of 16
    assert (cfg.global_batch_size, cfg.per_device_train_batch_size) == (128, 16)
    assert accumulation_steps(cfg, world) == accum
    monkeypatch.setenv("WORLD_SIZE", str(world))
    assert training_arguments(cfg, False, False)["gradient_accumulation_steps"] == accum
    rft = _cfg(method="sft", preset="rft")
    assert accumulation_steps(rft, world) * rft.per_device_train_batch_size * world == rft.global_batch_size == 128


def test_global_batch_errors():
    from mathdistill.training.trainer import accumulation_steps

    with pytest.raises(ConfigError, match="not a multiple"):
        accumulation_steps(_cfg(global_batch_size=100, per_device_train_batch_size=16), 1)
    with pytest.raises(ConfigError, match="not both"):
        _cfg(global_batch_size=64, gradient_accumulation_steps=2)
    # An explicit accumulation switches off the method's global batch.
    c = _cfg(method="nat", nat={"negative_adapter": "x"}, gradient_accumulation_steps=2)
    assert c.global_batch_size == 0 and c.gradient_accumulation_steps == 2
