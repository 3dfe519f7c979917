"""`--method kd` on a tiny Llama: lambda 0 is SFT exactly, a short run lowers the KD loss, and every bad
input (another vocabulary, a sidecar of another sample set, samples without log-probs) is one clear line.

The teacher's sidecar is written here from a second tiny Llama's teacher-forced top-K, as `sample
--logprobs K` would write it (store.logprobs)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

from mathdistill.config import build
from mathdistill.errors import MathdistillError
from mathdistill.models.manifest import MANIFEST
from mathdistill.records import Sample
from mathdistill.store.logprobs import LogprobsWriter, TokenLogprobs, tokenizer_vocab
from mathdistill.training import TrainConfig, run_training
from mathdistill.training.methods import method_spec

K = 4
# A random tiny Llama is near uniform over 49k tokens, as is the student: sharpened, the teacher's top-K
# holds most of the mass and the student has something to learn.
SHARPEN = 200.0
PROMPT = "Problem:\nWhat is {i} plus {j}?\n\nSolution:\n"


def completions(n: int = 6) -> list[tuple[str, str, str]]:
    out = []
    for i in range(n):
        j = i % 3 + 1
        out.append((f"q{i}", PROMPT.format(i=i, j=j), f"{i} + {j} = {i + j}. The answer is {i + j}."))
    return out


def write_samples(folder: Path, teacher: str, *, vocab_tok=None, logprobs: bool = True) -> None:
    """samples.jsonl + the teacher's top-K sidecar for `completions()`."""
    tok = transformers.AutoTokenizer.from_pretrained(teacher)
    model = transformers.AutoModelForCausalLM.from_pretrained(teacher)
    folder.mkdir(parents=True)
    items, lines = [], []
    for pid, prompt, response in completions():
        p_ids = tok(prompt)["input_ids"]
        r_ids = tok(response, add_special_tokens=False)["input_ids"] + [tok.eos_token_id]
        with torch.no_grad():
            logits = model(torch.tensor([p_ids + r_ids])).logits[0, len(p_ids) - 1:-1]
        lp = torch.log_softmax(logits * SHARPEN, -1)
        v, i = lp.topk(K, -1)
        sampled = lp.gather(-1, torch.tensor(r_ids)[:, None]).squeeze(-1)
        items.append(((pid, 0), response, TokenLogprobs(r_ids, sampled.tolist(), i.tolist(), v.tolist())))
        lines.append(Sample(pid, 0, prompt, response, "stop", len(r_ids), answer="x", correct=True).to_dict())
    (folder / "samples.jsonl").write_text("".join(json.dumps(x) + "\n" for x in lines))
    if logprobs:
        with LogprobsWriter(folder, K, kind="id", vocab=tokenizer_vocab(vocab_tok or tok), sample_keys=[]) as w:
            w.write_many(items)


def write_curated(folder: Path, samples_dir: Path) -> str:
    folder.mkdir(parents=True)
    rows = [{"prompt": p, "completion": c, "problem_id": pid, "sample_idx": 0} for pid, p, c in completions()]
    (folder / "sft.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    (folder / "stats.json").write_text(json.dumps({"input": {"samples_dir": str(samples_dir)}}))
    return str(folder / "sft.jsonl")


def cfg(tiny_lm: str, out: Path, data: str, **kw) -> TrainConfig:
    base = {"method": "kd", "model": tiny_lm, "data": [data], "output_dir": str(out), "learning_rate": 5e-3,
            "max_steps": 8, "per_device_train_batch_size": 3, "logging_steps": 1, "save_steps": 100,
            "warmup_ratio": 0.0, "lr_scheduler_type": "constant", "max_length": 128}
    base.update(kw)
    return build(TrainConfig, base)


@pytest.fixture(scope="module")
def kd_data(tmp_path_factory, teacher_lm) -> str:
    root = tmp_path_factory.mktemp("kd")
    write_samples(root / "samples", teacher_lm)
    return write_curated(root / "curate", root / "samples")


def test_kd_with_lambda_zero_is_sft_exactly(tiny_lm, kd_data, tmp_path):
    from mathdistill.training.kd import build_kd
    from mathdistill.training.trainer import WeightedLossTrainer

    for packing in (True, False):
        c = cfg(tiny_lm, tmp_path / f"out{packing}", kd_data, kd={"lambda_kd": 0.0}, packing=packing)
        b = build_kd(c, method_spec("kd"), progress=False)
        kd_trainer, model = b["trainer"], b["model"]
        feats = [kd_trainer.train_dataset[i] for i in range(4)]
        batch = kd_trainer.data_collator(feats)
        sft = WeightedLossTrainer(model=model, args=kd_trainer.args, train_dataset=kd_trainer.train_dataset,
                                  data_collator=kd_trainer.data_collator)
        plain = {k: v for k, v in batch.items() if not k.startswith("kd_")}
        sft_loss = sft.compute_loss(model, dict(plain))
        assert torch.equal(kd_trainer.compute_loss(model, dict(batch)), sft_loss)
        kd_trainer.lambda_kd = 0.5  # the kd path computes the CE from its own logsumexp: the same numbers
        kd_trainer.compute_loss(model, dict(batch))
        assert kd_trainer._parts["ce_loss"][-1] == pytest.approx(float(sft_loss), rel=1e-5)
        assert b["teacher"].coverage() > 0.8


def test_kd_training_lowers_the_kd_loss(tiny_lm, kd_data, tmp_path):
    out = tmp_path / "kd"
    doc = run_training(cfg(tiny_lm, out, kd_data, kd={"lambda_kd": 0.9, "divergence": "forward"}), progress=False)
    assert doc["status"] == "complete" and doc["kd"]["k"] == K and doc["kd"]["coverage"] > 0.8
    assert doc["kd"]["last_kd_loss"] < doc["kd"]["first_kd_loss"]
    manifest = json.loads((out / MANIFEST).read_text())
    assert manifest["method"] == "kd" and manifest["kd"]["samples"].endswith("samples")


def test_kd_reverse_and_jsd_run(tiny_lm, kd_data, tmp_path):
    from mathdistill.training.kd import build_kd

    for d in ("reverse", "jsd"):
        b = build_kd(cfg(tiny_lm, tmp_path / d, kd_data, kd={"divergence": d, "temperature": 2.0}),
                     method_spec("kd"), progress=False)
        batch = b["trainer"].data_collator([b["trainer"].train_dataset[i] for i in range(3)])
        loss = b["trainer"].compute_loss(b["model"], batch)
        loss.backward()
        assert torch.isfinite(loss)


def test_vocabulary_mismatch_is_refused(tiny_lm, teacher_lm, tmp_path):
    other = transformers.AutoTokenizer.from_pretrained(teacher_lm)
    other.add_tokens(["<teacher-only>"])  # same name, another vocabulary
    write_samples(tmp_path / "samples", teacher_lm, vocab_tok=other)
    data = write_curated(tmp_path / "curate", tmp_path / "samples")
    with pytest.raises(MathdistillError, match="vocabulary .* is not the student's"):
        run_training(cfg(tiny_lm, tmp_path / "out", data), progress=False)


def test_samples_without_logprobs_and_another_sample_set(tiny_lm, teacher_lm, tmp_path):
    write_samples(tmp_path / "plain", teacher_lm, logprobs=False)
    data = write_curated(tmp_path / "c1", tmp_path / "plain")
    with pytest.raises(MathdistillError, match="needs the teacher's token log-probs.*--logprobs K"):
        run_training(cfg(tiny_lm, tmp_path / "o1", data), progress=False)
    write_samples(tmp_path / "s2", teacher_lm)
    f = tmp_path / "s2" / "samples.jsonl"
    f.write_text(f.read_text().replace("The answer is", "So the answer is"))
    data = write_curated(tmp_path / "c2", tmp_path / "s2")
    with pytest.raises(MathdistillError, match="another sample set"):
        run_training(cfg(tiny_lm, tmp_path / "o2", data), progress=False)


def test_token_strings_map_onto_the_student_vocabulary(tiny_lm):
    from mathdistill.training.kd import string_ids

    tok = transformers.AutoTokenizer.from_pretrained(tiny_lm)
    ids = tok("The answer is 42, so x = 7.", add_special_tokens=False)["input_ids"]
    pieces = [tok.decode([i]) for i in ids]
    mapped = string_ids(pieces + ["\x00not-a-token\x00"], tok)
    assert mapped[:len(ids)].tolist() == ids and mapped[len(ids)] == -1 and mapped[-1] == -1
