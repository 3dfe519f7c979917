"""Training throughput and peak memory: `mathdistill train --method sft` packed vs unpacked, vs TRL SFTTrainer.

Every configuration trains the same model for one epoch over the same mixed-length
prompt/completion rows (lengths log-uniform between --min-len and --max-len words, seeded),
with the same batch size, learning rate and precision, each in its own process so peak
memory is its own (CPU: peak RSS; GPU: torch.cuda.max_memory_allocated). tokens/s counts
real (non-pad) tokens of the epoch divided by the train loop's wall time (model loading
and tokenization excluded). Ratios are against `ours-unpacked`, measured in the same run.

    python benchmarks/training.py                       # SmolLM2-135M, 48 rows, batch 8
    python benchmarks/training.py --model tiny --rows 256 --batch-size 16
"""

from __future__ import annotations

import argparse
import json
import math
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CONFIGS = ("ours-packed", "ours-unpacked", "trl-sft", "trl-sft-padding-free")


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


def tiny_model(out: Path) -> str:
    import torch
    import transformers

    from mathdistill.models import resolve_model

    tok = transformers.AutoTokenizer.from_pretrained(resolve_model("smollm2"))
    cfg = transformers.LlamaConfig(vocab_size=len(tok), hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                                   num_attention_heads=4, num_key_value_heads=2, tie_word_embeddings=True)
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

    common = dict(learning_rate=1e-5, num_train_epochs=1, per_device_train_batch_size=a.batch_size, seed=0,
                  report_to="none", save_strategy="no", logging_steps=1000, warmup_steps=0,
                  use_cpu=not torch.cuda.is_available(), bf16=torch.cuda.is_available(), disable_tqdm=True)
    rows = [json.loads(x) for x in Path(a.data).read_text().splitlines()]
    if name.startswith("ours"):
        from mathdistill.config import build
        from mathdistill.training.api import build_mle
        from mathdistill.training.config import TrainConfig

        cfg = build(TrainConfig, {"model": a.model, "data": [a.data], "output_dir": a.out, "learning_rate": 1e-5,
                                  "per_device_train_batch_size": a.batch_size, "packing": name == "ours-packed",
                                  "max_length": a.max_length, "save_steps": 10**6, "logging_steps": 1000,
                                  "warmup_ratio": 0.0, "seed": 0})
        b = build_mle(cfg, progress=False)
        trainer = b["trainer"]
        tokens = b["stats"].tokens
    else:
        import datasets
        import trl

        from mathdistill.models import resolve_model

        free = name.endswith("padding-free")
        # TRL refuses max_length with padding_free and no packing; the rows fit max_length anyway.
        args = trl.SFTConfig(output_dir=a.out, max_length=None if free else a.max_length, packing=False,
                             padding_free=free, **common)
        trainer = trl.SFTTrainer(model=resolve_model(a.model), args=args, train_dataset=datasets.Dataset.from_list(rows))
        tokens = sum(len(x) for x in trainer.train_dataset["input_ids"])
    t0 = time.perf_counter()
    trainer.train()
    secs = time.perf_counter() - t0
    return {"config": name, "tokens": tokens, "seconds": round(secs, 2), "tokens_per_s": round(tokens / secs, 1),
            "peak_mb": round(peak_memory_mb(), 1), "steps": trainer.state.global_step}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", default="smollm2", help="smollm2 | tiny (2-layer, built here) | any HF dir/id")
    ap.add_argument("--rows", type=int, default=48)
    ap.add_argument("--batch-size", type=int, default=8)
    ap.add_argument("--min-len", type=int, default=8)
    ap.add_argument("--max-len", type=int, default=300)
    ap.add_argument("--max-length", type=int, default=1024)
    ap.add_argument("--configs", default=",".join(CONFIGS))
    ap.add_argument("--child", default=None, help=argparse.SUPPRESS)
    ap.add_argument("--data", default=None, help=argparse.SUPPRESS)
    ap.add_argument("--out", default=None, help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.child:
        print("RESULT " + json.dumps(child(a.child, a)), flush=True)
        return
    with tempfile.TemporaryDirectory() as tmp:
        tmpd = Path(tmp)
        if a.model == "tiny":
            a.model = tiny_model(tmpd / "tiny")
        data = tmpd / "rows.jsonl"
        data.write_text("".join(json.dumps(r) + "\n" for r in make_rows(a.rows, a.min_len, a.max_len)))
        results = []
        for name in a.configs.split(","):
            cmd = [sys.executable, __file__, "--child", name, "--model", a.model, "--data", str(data),
                   "--out", str(tmpd / name), "--batch-size", str(a.batch_size), "--max-length", str(a.max_length)]
            r = subprocess.run(cmd, capture_output=True, text=True)
            line = next((x for x in r.stdout.splitlines() if x.startswith("RESULT ")), None)
            if line is None:
                print(f"{name}: failed\n{r.stderr[-2000:]}")
                continue
            results.append(json.loads(line[7:]))
            print(json.dumps(results[-1]), flush=True)
    base = next((r for r in results if r["config"] == "ours-unpacked"), None)
    print(f"\nmodel={a.model} rows={a.rows} batch={a.batch_size} lengths {a.min_len}-{a.max_len} words, one epoch")
    print(f"{'config':24} {'tokens/s':>10} {'x unpacked':>11} {'peak MB':>9} {'x unpacked':>11}")
    for r in results:
        rt = r["tokens_per_s"] / base["tokens_per_s"] if base else float("nan")
        rm = r["peak_mb"] / base["peak_mb"] if base else float("nan")
        print(f"{r['config']:24} {r['tokens_per_s']:>10.1f} {rt:>10.2f}x {r['peak_mb']:>9.0f} {rm:>10.2f}x")
    by = {r["config"]: r for r in results}
    for ours in ("ours-packed",):
        for trl_name in ("trl-sft", "trl-sft-padding-free"):
            if ours in by and trl_name in by:
                print(f"{ours} / {trl_name}: {by[ours]['tokens_per_s'] / by[trl_name]['tokens_per_s']:.2f}x tokens/s")


if __name__ == "__main__":
    main()
