"""One short GPU check of the training paths that CPU CI cannot reach, for a session that is lent a GPU.

    python scripts/gpu_check.py --tokenizer TOK_DIR [--out DIR]

TOK_DIR is any HF tokenizer folder (e.g. the tokenizer files of `mathdistill models prepare smollm2`,
copied into an ignored folder such as runs/tok and carried to the machine). A 4-layer Llama is built
here, so no weights travel. It checks, printing one PASS/FAIL line each and a JSON summary:
  1. bf16 is chosen on the GPU (precision()) and the packed-row attention that training would load;
  2. packed vs padded per-example losses agree in bf16 for sdpa, our per-example SDPA and (if
     installed) flash_attention_2;
  3. `run_training` sft, packed, one epoch on toy rows: loss falls, the model saves and reloads;
  4. tokens/s of packed vs unpacked training on mixed lengths (same rows, steady state);
  5. MFU of bf16 packed SFT (and of the fp32 baseline) on a SmolLM2-135M-shaped model with random
     weights: `benchmarks/training.py` run on the GPU, model FLOPs/s over the bf16 matmul peak it
     measures in the same run (`--mfu-rows 0` skips it).
Needs torch with CUDA, transformers, peft, accelerate and this package (`pip install --no-deps -e .`).
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path


TINY = dict(hidden_size=512, intermediate_size=1536, num_hidden_layers=4, num_attention_heads=8, num_key_value_heads=4)
# MFU depends on the shape only, so check 5 uses SmolLM2-135M's with random weights.
SMOLLM2_135M = dict(hidden_size=576, intermediate_size=1536, num_hidden_layers=30, num_attention_heads=9,
                    num_key_value_heads=3)


def build_model(tok_dir: str, out: Path, shape: dict | None = None) -> str:
    import torch
    import transformers

    tok = transformers.AutoTokenizer.from_pretrained(tok_dir)
    cfg = transformers.LlamaConfig(vocab_size=len(tok), **(shape or TINY), max_position_embeddings=8192,
                                   tie_word_embeddings=True, eos_token_id=tok.eos_token_id,
                                   bos_token_id=tok.bos_token_id)
    torch.manual_seed(0)
    transformers.LlamaForCausalLM(cfg).save_pretrained(out)
    tok.save_pretrained(out)
    return str(out)


def rows(n: int, lo: int, hi: int, seed: int = 0) -> list[dict]:
    rng = random.Random(seed)
    words = ["then", "we", "add", "the", "two", "numbers", "and", "multiply", "by", "three", "so", "the", "total", "becomes"]
    return [{"prompt": f"Problem:\nWhat is {i} plus {i + 1}?\n\nSolution:\n",
             "completion": " ".join(rng.choice(words) for _ in range(rng.randint(lo, hi))) + f" {2 * i + 1}."}
            for i in range(n)]


def check_mfu(tok_dir: str, out: Path, rows_n: int, batch_size: int) -> dict:
    """benchmarks/training.py on this device: ours packed (bf16 where native, the default) vs fp32."""
    import subprocess

    model = build_model(tok_dir, out / "smollm2_shape", SMOLLM2_135M)
    bench = Path(__file__).resolve().parent.parent / "benchmarks" / "training.py"
    js = out / "mfu.json"
    cmd = [sys.executable, str(bench), "--model", model, "--rows", str(rows_n), "--batch-size", str(batch_size),
           "--configs", "ours-packed,ours-packed-fp32", "--json", str(js)]
    r = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if r.returncode or not js.exists():
        return {"ok": False, "error": (r.stderr or r.stdout)[-1500:]}
    doc = json.loads(js.read_text())
    by = {x["config"]: x for x in doc["results"]}
    return {"ok": "ours-packed" in by, "peak_gflops": doc["peak_gflops"],
            **{name: {k: x.get(k) for k in ("dtype", "tokens_per_s", "model_gflops", "mfu", "peak_mb", "loss")}
               for name, x in by.items()}}


def check_attention(model_dir: str, dev: str) -> dict:
    import importlib.util

    import torch
    import transformers

    from mathdistill.models.loading import load_tokenizer
    from mathdistill.training.attention import register
    from mathdistill.training.collate import Collator, token_losses
    from mathdistill.training.data import DataStats, Row, tokenize

    tok = load_tokenizer(model_dir)
    exs = [tokenize(Row(r["prompt"], r["completion"], False, False, "x"), tok, 1024, "drop", DataStats())
           for r in rows(6, 5, 200, seed=1)]
    feats = [{"input_ids": e.input_ids, "labels": e.labels, "negative": False} for e in exs]
    impls = ["sdpa", register()] + (["flash_attention_2"] if importlib.util.find_spec("flash_attn") else [])
    out = {}
    for impl in impls:
        dtype = torch.bfloat16 if dev == "cuda" else torch.float32
        m = transformers.AutoModelForCausalLM.from_pretrained(model_dir, dtype=dtype,
                                                              attn_implementation=impl).to(dev).eval()
        with torch.no_grad():
            pad = {k: v.to(dev) for k, v in Collator(tok.pad_token_id, packing=False)(feats).items()}
            ref = token_losses(m(input_ids=pad["input_ids"], attention_mask=pad["attention_mask"]).logits,
                               pad["labels"]).sum(1)
            pk = {k: v.to(dev) for k, v in Collator(tok.pad_token_id, packing=True)(feats).items()}
            ce = token_losses(m(input_ids=pk["input_ids"], position_ids=pk["position_ids"], use_cache=False).logits,
                              pk["labels"])[0]
        bounds, s = [], 0
        for e in exs:
            bounds.append((s, s + len(e.input_ids)))
            s += len(e.input_ids)
        packed = torch.stack([ce[a:b - 1].sum() for a, b in bounds])
        rel = float(((packed - ref).abs() / ref.abs().clamp_min(1e-6)).max())
        out[impl] = {"max_rel_diff": rel, "ok": rel < 2e-2}  # bf16: per-example sums agree to ~1%
    return out


def train_once(model_dir: str, data: str, out: Path, packing: bool) -> dict:
    """One epoch (so the epoch's token count is what the steps saw)."""
    from mathdistill.config import build
    from mathdistill.training import TrainConfig, run_training

    cfg = build(TrainConfig, {"model": model_dir, "data": [data], "output_dir": str(out), "learning_rate": 1e-3,
                              "num_train_epochs": 1, "per_device_train_batch_size": 8, "packing": packing,
                              "logging_steps": 1, "save_steps": 10**6, "warmup_ratio": 0.0, "max_length": 1024,
                              "lr_scheduler_type": "constant", "seed": 0})
    t0 = time.perf_counter()
    m = run_training(cfg, progress=False)
    m["wall_s_total"] = time.perf_counter() - t0
    return m


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--tokenizer", required=True)
    ap.add_argument("--out", default="runs/gpu_check")
    ap.add_argument("--rows", type=int, default=480)
    ap.add_argument("--mfu-rows", type=int, default=512, help="rows for check 5 (0: skip it)")
    ap.add_argument("--mfu-batch-size", type=int, default=16)
    ap.add_argument("--cpu", action="store_true", help="rehearse the script on CPU (checks 1 fail by design)")
    a = ap.parse_args()
    import torch

    if not torch.cuda.is_available() and not a.cpu:
        sys.exit("gpu_check: no CUDA device")
    dev = "cpu" if a.cpu else "cuda"
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    res: dict = {"device": torch.cuda.get_device_name(0) if dev == "cuda" else "cpu", "torch": torch.__version__}
    model_dir = build_model(a.tokenizer, out / "tiny")

    from mathdistill.training.attention import choose
    from mathdistill.training.config import TrainConfig
    from mathdistill.training.model import precision

    res["precision_bf16"] = precision(TrainConfig())[1]
    res["packed_attention"] = choose("auto", True)
    print(("PASS" if res["precision_bf16"] else "FAIL"), "bf16 chosen on GPU;", "packed attention:",
          res["packed_attention"], flush=True)

    res["attention"] = check_attention(model_dir, dev)
    for impl, r in res["attention"].items():
        print("PASS" if r["ok"] else "FAIL", f"packed == padded losses under {impl} (max rel diff {r['max_rel_diff']:.2e})",
              flush=True)

    data = out / "rows.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in rows(a.rows, 8, 600)))
    m = train_once(model_dir, str(data), out / "sft_packed", True)
    ok = bool(m["metrics"]["last_loss"] < m["metrics"]["first_loss"])
    import transformers

    transformers.AutoModelForCausalLM.from_pretrained(out / "sft_packed")  # reloads
    res["sft"] = {k: m["metrics"][k] for k in ("first_loss", "last_loss", "global_step", "wall_s")}
    res["sft"]["attn_implementation"] = m.get("attn_implementation")
    print("PASS" if ok else "FAIL", f"sft packed: loss {res['sft']['first_loss']} -> {res['sft']['last_loss']}",
          flush=True)

    u = train_once(model_dir, str(data), out / "sft_unpacked", False)
    tp = m["data"]["tokens"] / m["metrics"]["wall_s"]
    tu = u["data"]["tokens"] / u["metrics"]["wall_s"]
    res["throughput"] = {"packed_tokens_per_s": tp, "unpacked_tokens_per_s": tu, "ratio": tp / tu}
    print(f"INFO packed {tp:.0f} vs unpacked {tu:.0f} tokens/s (epoch tokens / train wall): {tp / tu:.2f}x "
          "(both include the first step)", flush=True)
    if a.mfu_rows:
        res["mfu"] = mfu = check_mfu(a.tokenizer, out, a.mfu_rows, a.mfu_batch_size)
        if mfu["ok"]:
            new, old = mfu["ours-packed"], mfu.get("ours-packed-fp32")
            print(f"INFO MFU of packed SFT ({new['dtype']}, SmolLM2-135M shape, batch {a.mfu_batch_size}): "
                  f"{new['mfu']:.1%} of the {new['dtype']} matmul peak ({new['model_gflops']:.0f} of "
                  f"{mfu['peak_gflops'][new['dtype']]:.0f} GFLOP/s), {new['tokens_per_s']:.0f} tokens/s"
                  + (f"; fp32 {old['mfu']:.1%}, {old['tokens_per_s']:.0f} tokens/s: "
                     f"{new['tokens_per_s'] / old['tokens_per_s']:.2f}x" if old else ""), flush=True)
        else:
            print("FAIL MFU check:", mfu["error"], flush=True)
    (out / "gpu_check.json").write_text(json.dumps(res, indent=1, default=str))
    print(json.dumps(res, default=str))


if __name__ == "__main__":
    main()
