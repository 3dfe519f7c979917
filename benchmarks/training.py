"""Training throughput and peak memory: `mathdistill train --method sft` packed vs unpacked, vs TRL SFTTrainer,
and `--method kd` (top-K logit distillation) against SFT on the same rows.

Every configuration trains the same model for one epoch over the same mixed-length
prompt/completion rows, with the same batch size, learning rate and precision, each in its own
process so peak memory is its own (CPU: peak RSS; GPU: torch.cuda.max_memory_allocated).
Rows are either synthetic (lengths log-uniform between --min-len and --max-len words, seeded)
or real: GPT-4 MATH solutions from the shared teacher file (`--source teacher`), whose lengths
are what an SFT run on curated teacher data sees. tokens/s counts the real (non-pad) tokens
that the collator hands to the steps after the first --warmup-steps (the first optimizer step
allocates Adam's state and warms the thread pools: seconds on CPU, the same for everyone),
divided by their wall time. Ratios are against `ours-unpacked`, measured in the same run; `ours-kd`
(packed, the teacher's top-K from a sidecar of made-up log-probs at the student's own tokens, so every
label token has a target) is also given against `ours-packed`.

Precision is ours' default (bf16 autocast over fp32 weights where the hardware has native bf16, else
fp32) for every config, TRL's included; `ours-packed-fp32` (named in --configs) is the fp32 baseline.
Each config is also set against the machine's limit (`_peak.py`, measured before and after the
configs in the same run): MFU = model FLOPs/s over the matmul peak of the dtype it trained in,
model FLOPs = 6N per real token (4N with LoRA: frozen weights get no weight gradients) plus
12·L·d·T per token of an example of T tokens for attention (PaLM's accounting).

    python benchmarks/training.py                       # SmolLM2-135M, 96 synthetic rows, batch 8, full FT
    python benchmarks/training.py --configs ours-packed-fp32,ours-packed --source teacher --rows 64
    python benchmarks/training.py --source teacher --lora-r 8
    python benchmarks/training.py --model tiny --rows 256 --batch-size 16
    # long sequences (long chain of thought): 4-8k-token rows of the tiny model, ours (gradient checkpointing on
    # by default from max_length 4096, and off) vs TRL padding-free
    python benchmarks/training.py --model tiny --rows 12 --batch-size 2 --min-len 3000 --max-len 6000 \
        --max-length 8192 --configs ours-packed,ours-packed-no-ckpt,trl-sft-padding-free
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import random
import subprocess
import sys
import tempfile
from pathlib import Path

CONFIGS = ("ours-packed", "ours-unpacked", "trl-sft", "trl-sft-padding-free", "ours-kd")
# Not run unless named in --configs: ours packed in fp32 without gradient checkpointing, the setting before bf16
# autocast (and, on a CPU, checkpointing) became the default; what that default is measured against; and ours
# packed with gradient checkpointing forced on (-ckpt) or off (-no-ckpt), whatever max_length says.
EXTRA_CONFIGS = ("ours-packed-fp32", "ours-packed-ckpt", "ours-packed-no-ckpt")


def make_rows(n: int, lo: int, hi: int, seed: int = 0) -> list[dict]:
    rng = random.Random(seed)
    words = ["then", "we", "add", "the", "two", "numbers", "and", "multiply", "by", "three", "so", "the", "total", "becomes"]
    rows = []
    for i in range(n):
        k = int(math.exp(rng.uniform(math.log(lo), math.log(hi))))
        body = " ".join(rng.choice(words) for _ in range(k))
        rows.append({"prompt": f"Problem:\nWhat is {i} plus {i + 1}?\n\nSolution:\n",
                     "completion": f"{body}. The answer is {2 * i + 1}."})
    return rows


def teacher_rows(n: int, model: str, max_length: int, seed: int = 0) -> list[dict]:
    """n random (question, first GPT-4 solution) rows of the shared MATH teacher file that fit max_length.

    Rows that fit: TRL truncates over-length rows and we drop them by default, so every config must
    see the same tokens.
    """
    import gzip
    import os

    path = Path(os.environ.get("MATHDISTILL_DATA", Path(__file__).resolve().parents[2] / "shared" / "data"))
    path = path / "teacher_math_gpt4.jsonl.gz"
    if not path.exists():
        raise SystemExit(f"--source teacher: {path} not found (set MATHDISTILL_DATA)")
    with gzip.open(path, "rt") as f:
        rows = [json.loads(x) for x in f]
    import transformers

    from mathdistill.models import resolve_model

    tok = transformers.AutoTokenizer.from_pretrained(resolve_model(model))
    random.Random(seed).shuffle(rows)
    out = []
    for r in rows:
        row = {"prompt": f"Problem:\n{r['question']}\n\nSolution:\n", "completion": r["generated_answer"][0]}
        if len(tok(row["prompt"] + row["completion"])["input_ids"]) <= max_length - 32:  # room for EOS / template
            out.append(row)
        if len(out) == n:
            break
    return out


class Meter:
    """Counts the real tokens of every collated batch and times the steps after the warm-up ones.

    accelerate's loader fetches one batch ahead, so batch i's count is read from the list, not at
    step i's end: the measured steps are batches [warmup, global_step).
    """

    def __init__(self, collate, warmup: int):
        self.collate, self.warmup, self.counts, self.slots, self.t0, self.t1 = collate, warmup, [], [], None, None
        self.lengths: list[list[int]] = []  # each batch's example lengths (what attention costs grow with)

    def __call__(self, features):
        b = self.collate(features)
        m = b.get("attention_mask")
        self.counts.append(int(m.sum()) if m is not None else int(b["input_ids"].numel()))
        self.slots.append(int(b["input_ids"].numel()))  # tokens the model computes on, padding included
        self.lengths.append(example_lengths(b))
        return b

    def callback(self):
        import time

        import transformers

        meter = self

        class _CB(transformers.TrainerCallback):
            def on_step_end(self, args, state, control, **kw):
                if state.global_step == meter.warmup:
                    meter.t0 = time.perf_counter()
                meter.t1 = time.perf_counter()

        return _CB()

    def result(self, steps: int) -> tuple[int, int, float]:
        return sum(self.counts[self.warmup:steps]), sum(self.slots[self.warmup:steps]), self.t1 - self.t0

    def flops(self, steps: int, n_params: int, n_layers: int, d_model: int, weight_factor: int) -> float:
        """Model FLOPs of the timed batches: per example of length T, T x (weight_factor·N + 12·L·d·T)."""
        return sum(t * (weight_factor * n_params + 12 * n_layers * d_model * t)
                   for batch in self.lengths[self.warmup:steps] for t in batch)


def example_lengths(b) -> list[int]:
    """Real tokens per example of a collated batch: packed rows restart position_ids at 0 for each
    example; padded rows count their attention mask."""
    pos = b.get("position_ids")
    if pos is not None and pos.shape[0] == 1:
        starts = (pos.reshape(-1) == 0).nonzero().flatten().tolist() + [pos.numel()]
        return [e - s for s, e in itertools.pairwise(starts)]
    m = b.get("attention_mask")
    if m is not None:
        return [int(x) for x in m.sum(-1).tolist()]
    return [int(b["input_ids"].shape[-1])] * int(b["input_ids"].shape[0])


def model_shape(model) -> tuple[int, int, int]:
    """(N, layers, hidden size): N counts the weights that compute, so an untied input embedding (a
    lookup) is left out and a tied one counts once, for the LM head."""
    base = model.get_base_model() if hasattr(model, "get_base_model") else model
    cfg = base.config
    n = sum(p.numel() for p in base.parameters())
    if not getattr(cfg, "tie_word_embeddings", False):
        n -= base.get_input_embeddings().weight.numel()
    return n, cfg.num_hidden_layers, cfg.hidden_size


def default_bf16() -> bool:
    """Whether ours trains in bf16 autocast by default here; TRL is given the same precision."""
    from types import SimpleNamespace

    from mathdistill.training.model import precision_info

    return bool(precision_info(SimpleNamespace(bf16=None))["autocast"])


def precision_of(args) -> str:
    return "bf16" if getattr(args, "bf16", False) else "fp16" if getattr(args, "fp16", False) else "fp32"


def kd_inputs(rows: list[dict], model: str, out: Path, k: int) -> tuple[str, str]:
    """(curated rows naming their samples, the samples folder with a top-K sidecar) for `rows`: the
    teacher's tokens are the student's tokenization of each completion, its log-probs made up."""
    import numpy as np

    from mathdistill.models.loading import load_tokenizer
    from mathdistill.records import Sample
    from mathdistill.store.logprobs import LogprobsWriter, TokenLogprobs, tokenizer_vocab
    from mathdistill.training.steps import student_path

    tok = load_tokenizer(student_path(model))
    rng = np.random.default_rng(0)
    samples, curated, items = out / "samples", [], []
    samples.mkdir(parents=True, exist_ok=True)
    lines = []
    for i, r in enumerate(rows):
        ids = tok(r["completion"], add_special_tokens=False)["input_ids"] + [tok.eos_token_id]
        top = rng.integers(0, len(tok), (len(ids), k))
        top[:, 0] = ids
        lps = np.sort(np.log(rng.dirichlet(np.ones(k + 1), len(ids))[:, :k]), axis=1)[:, ::-1]
        items.append(((f"q{i}", 0), r["completion"], TokenLogprobs(ids, lps[:, 0].tolist(), top.tolist(),
                                                                   lps.tolist())))
        lines.append(json.dumps(Sample(f"q{i}", 0, r["prompt"], r["completion"], correct=True).to_dict()))
        curated.append(json.dumps({**r, "problem_id": f"q{i}", "sample_idx": 0}))
    (samples / "samples.jsonl").write_text("".join(x + "\n" for x in lines))
    with LogprobsWriter(samples, k, kind="id", vocab=tokenizer_vocab(tok), sample_keys=[]) as w:
        w.write_many(items)
    (out / "kd_rows.jsonl").write_text("".join(x + "\n" for x in curated))
    return str(out / "kd_rows.jsonl"), str(samples)


def tiny_model(out: Path) -> str:
    import torch
    import transformers

    from mathdistill.models import resolve_model

    tok = transformers.AutoTokenizer.from_pretrained(resolve_model("smollm2"))
    cfg = transformers.LlamaConfig(vocab_size=len(tok), hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                                   num_attention_heads=4, num_key_value_heads=2, tie_word_embeddings=True,
                                   max_position_embeddings=16384)
    torch.manual_seed(0)
    transformers.LlamaForCausalLM(cfg).save_pretrained(out)
    tok.save_pretrained(out)
    return str(out)


def peak_memory_mb() -> float:
    import torch

    if torch.cuda.is_available():
        return torch.cuda.max_memory_allocated() / 2**20
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child(name: str, a: argparse.Namespace) -> dict:
    import torch

    # gradient_checkpointing=False: TRL's SFTConfig turns it on by default; TRL runs at its fastest here. Ours runs
    # at its default (on a CPU: checkpointing on, which costs it ~4-10% of tokens/s), so the ratios against TRL are
    # conservative for ours; `ours-packed-no-ckpt` is the same computation as TRL's.
    common = dict(learning_rate=1e-5, num_train_epochs=1, per_device_train_batch_size=a.batch_size, seed=0,
                  report_to="none", save_strategy="no", logging_steps=1000, warmup_steps=0,
                  gradient_checkpointing=False,
                  use_cpu=not torch.cuda.is_available(), bf16=default_bf16(), disable_tqdm=True)
    rows = [json.loads(x) for x in Path(a.data).read_text().splitlines()]
    if name.startswith("ours"):
        from mathdistill.config import build
        from mathdistill.training.config import TrainConfig
        from mathdistill.training.methods import method_spec
        from mathdistill.training.mle import build_mle

        kd = name == "ours-kd"
        data, extra = a.data, {}
        if kd:
            data, samples = kd_inputs(rows, a.model, Path(a.out), a.kd_k)
            extra = {"method": "kd", "kd": {"samples": samples}}
        cfg = build(TrainConfig, {"model": a.model, "data": [data], "output_dir": a.out, "learning_rate": 1e-5,
                                  "per_device_train_batch_size": a.batch_size, "packing": name != "ours-unpacked",
                                  "max_length": a.max_length, "save_steps": 10**6, "logging_steps": 1000,
                                  "warmup_ratio": 0.0, "seed": 0, "lora": {"r": a.lora_r}, **extra,
                                  # the setting before issue 22: fp32, no gradient checkpointing
                                  **({"bf16": False, "gradient_checkpointing": False} if name.endswith("-fp32") else {}),
                                  **({"gradient_checkpointing": name.endswith("-ckpt") and not name.endswith("no-ckpt")}
                                     if name.endswith("ckpt") else {})})
        if kd:
            from mathdistill.training.kd import build_kd

            trainer = build_kd(cfg, method_spec("kd"), progress=False)["trainer"]
        else:
            trainer = build_mle(cfg, method_spec(cfg.method), progress=False)["trainer"]
        if not name.endswith("-fp32"):  # as training.steps.fit does (the setting before issue 22 did not)
            from mathdistill.training.steps import trim_callback

            if (cb := trim_callback()) is not None:
                trainer.add_callback(cb)
    else:
        import datasets
        import trl

        from mathdistill.models import resolve_model

        free = name.endswith("padding-free")
        # TRL refuses max_length with padding_free and no packing; the rows fit max_length anyway.
        args = trl.SFTConfig(output_dir=a.out, max_length=None if free else a.max_length, packing=False,
                             padding_free=free, **common)
        peft_config = None
        if a.lora_r:
            import peft

            peft_config = peft.LoraConfig(r=a.lora_r, lora_alpha=16, lora_dropout=0.05,
                                          target_modules=["q_proj", "v_proj"], task_type="CAUSAL_LM")
        trainer = trl.SFTTrainer(model=resolve_model(a.model), args=args, train_dataset=datasets.Dataset.from_list(rows),
                                 peft_config=peft_config)
    meter = Meter(trainer.data_collator, a.warmup_steps)
    trainer.data_collator = meter
    trainer.add_callback(meter.callback())
    out = trainer.train()
    steps = trainer.state.global_step
    if steps <= a.warmup_steps:
        raise SystemExit(f"{steps} steps: need more than --warmup-steps {a.warmup_steps} (add --rows)")
    tokens, slots, secs = meter.result(steps)
    n, layers, d = model_shape(trainer.model)
    # Frozen weights (LoRA) get no weight gradients: forward 2N + activation gradients 2N.
    flops = meter.flops(steps, n, layers, d, weight_factor=4 if a.lora_r else 6)
    return {"config": name, "tokens": tokens, "padded_tokens": slots, "seconds": round(secs, 2),
            "tokens_per_s": round(tokens / secs, 1), "model_gflops": round(flops / secs / 1e9, 1),
            "dtype": precision_of(trainer.args), "checkpointing": bool(trainer.args.gradient_checkpointing),
            "params": n, "loss": round(float(out.training_loss), 4),
            "peak_mb": round(peak_memory_mb(), 1), "steps": steps, "timed_steps": steps - a.warmup_steps}


def _fmt_peaks(p: dict) -> str:
    return ", ".join(f"{d} {v['gflops']:.0f} GFLOP/s (by size {v['by_size']})" for d, v in p.items())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", default="smollm2", help="smollm2 | tiny (2-layer, built here) | any HF dir/id")
    ap.add_argument("--rows", type=int, default=96)
    ap.add_argument("--source", choices=("synthetic", "teacher"), default="synthetic")
    ap.add_argument("--lora-r", type=int, default=0, help="0: full fine-tuning; else LoRA r on q_proj,v_proj")
    ap.add_argument("--warmup-steps", type=int, default=1, help="steps left out of the timing")
    ap.add_argument("--batch-size", type=int, default=8)
    ap.add_argument("--min-len", type=int, default=8)
    ap.add_argument("--max-len", type=int, default=300)
    ap.add_argument("--max-length", type=int, default=1024)
    ap.add_argument("--configs", default=",".join(CONFIGS),
                    help=f"comma-separated, from {', '.join(CONFIGS + EXTRA_CONFIGS)}")
    ap.add_argument("--kd-k", type=int, default=20, help="ours-kd: the teacher's top-K")
    ap.add_argument("--json", default=None, help="also write the peaks and every config's figures (MFU included) here")
    ap.add_argument("--child", default=None, help=argparse.SUPPRESS)
    ap.add_argument("--data", default=None, help=argparse.SUPPRESS)
    ap.add_argument("--out", default=None, help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.child:
        print("RESULT " + json.dumps(child(a.child, a)), flush=True)
        return
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import _peak

    # The peak is taken before and after the configs (not while they train), the better of the two
    # kept: the load of a shared machine moves it as it moves the speeds it judges.
    peaks = [{d: _peak.matmul_peak(d) for d in ("fp32", "bf16")}]
    print(f"matmul peak before: {_fmt_peaks(peaks[0])}; {_peak.load_note()}", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        tmpd = Path(tmp)
        if a.model == "tiny":
            a.model = tiny_model(tmpd / "tiny")
        data = tmpd / "rows.jsonl"
        if a.source == "teacher":
            rows = teacher_rows(a.rows, a.model, a.max_length)
        else:
            rows = make_rows(a.rows, a.min_len, a.max_len)
        data.write_text("".join(json.dumps(r) + "\n" for r in rows))
        results = []
        for name in a.configs.split(","):
            cmd = [sys.executable, __file__, "--child", name, "--model", a.model, "--data", str(data),
                   "--out", str(tmpd / name), "--batch-size", str(a.batch_size), "--max-length", str(a.max_length),
                   "--lora-r", str(a.lora_r), "--warmup-steps", str(a.warmup_steps), "--kd-k", str(a.kd_k)]
            r = subprocess.run(cmd, capture_output=True, text=True, check=False)
            line = next((x for x in r.stdout.splitlines() if x.startswith("RESULT ")), None)
            if line is None:
                print(f"{name}: failed\n{r.stderr[-2000:]}")
                continue
            results.append(json.loads(line[7:]))
            print(json.dumps(results[-1]), flush=True)
    peaks.append({d: _peak.matmul_peak(d) for d in ("fp32", "bf16")})
    print(f"matmul peak after: {_fmt_peaks(peaks[1])}; {_peak.load_note()}", flush=True)
    peak = {d: max(p[d]["gflops"] for p in peaks) for d in ("fp32", "bf16")}
    base = next((r for r in results if r["config"] == "ours-unpacked"), None)
    what = "GPT-4 MATH solutions" if a.source == "teacher" else f"lengths {a.min_len}-{a.max_len} words"
    mode = f"LoRA r={a.lora_r}" if a.lora_r else "full FT"
    print(f"\nmodel={a.model} rows={a.rows} ({what}) batch={a.batch_size} {mode}, one epoch, "
          f"first {a.warmup_steps} step(s) untimed")
    # "padded/real": tokens computed on per real token, the most that dropping padding can win.
    # MFU: model FLOPs/s (6N per real token, 4N with LoRA, plus attention 12·L·d·T per token of an example
    # of T tokens) over the matmul peak of the dtype trained in; "of bf16": over the bf16 peak, what
    # the machine could give an fp32 run that moved to bf16.
    print(f"matmul peak: fp32 {peak['fp32']:.0f} GFLOP/s, bf16 {peak['bf16']:.0f} GFLOP/s"
          f"{'' if peaks[0]['bf16']['native'] else ' (bf16 not native here)'}")
    print(f"{'config':24} {'tokens/s':>10} {'x unpacked':>11} {'peak MB':>9} {'x unpacked':>11} {'padded/real':>12} "
          f"{'dtype':>6} {'GFLOP/s':>8} {'MFU':>6} {'of bf16':>8} {'loss':>7}")
    for r in results:
        rt = f"{r['tokens_per_s'] / base['tokens_per_s']:.2f}x" if base else "-"
        rm = f"{r['peak_mb'] / base['peak_mb']:.2f}x" if base else "-"
        mfu = r["model_gflops"] / peak.get(r["dtype"], float("nan"))
        print(f"{r['config']:24} {r['tokens_per_s']:>10.1f} {rt:>11} {r['peak_mb']:>9.0f} {rm:>11} "
              f"{r['padded_tokens'] / r['tokens']:>12.2f} {r['dtype']:>6} {r['model_gflops']:>8.1f} {mfu:>6.1%} "
              f"{r['model_gflops'] / peak['bf16']:>8.1%} {r['loss']:>7.4f}")
    for r in results:
        r["mfu"] = round(r["model_gflops"] / peak[r["dtype"]], 4) if peak.get(r["dtype"]) else None
    if a.json:
        Path(a.json).write_text(json.dumps({"peak_gflops": peak, "peaks": peaks, "load": _peak.load_note(),
                                            "model": a.model, "rows": a.rows, "batch_size": a.batch_size,
                                            "results": results}, indent=1, default=str))
    by = {r["config"]: r for r in results}
    if "ours-kd" in by and "ours-packed" in by:
        print(f"ours-kd (top-{a.kd_k}) / ours-packed (SFT): "
              f"{by['ours-kd']['tokens_per_s'] / by['ours-packed']['tokens_per_s']:.2f}x tokens/s (target >= 0.8x)")
    if "ours-packed-fp32" in by and "ours-packed" in by:
        new, old = by["ours-packed"], by["ours-packed-fp32"]
        print(f"ours-packed ({new['dtype']}, the default) / ours-packed-fp32: "
              f"{new['tokens_per_s'] / old['tokens_per_s']:.2f}x tokens/s, {new['peak_mb'] / old['peak_mb']:.2f}x "
              f"peak memory, loss {new['loss']:.4f} vs {old['loss']:.4f}")
    for ours in ("ours-packed",):
        for trl_name in ("trl-sft", "trl-sft-padding-free"):
            if ours in by and trl_name in by:
                print(f"{ours} / {trl_name}: {by[ours]['tokens_per_s'] / by[trl_name]['tokens_per_s']:.2f}x tokens/s")


if __name__ == "__main__":
    main()
