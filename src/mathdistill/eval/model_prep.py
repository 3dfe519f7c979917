"""Turn `--model` into something every backend can load.

A PEFT adapter directory (adapter_config.json) is merged into its base model with peft's
`merge_and_unload` and saved as a plain checkpoint under the cache dir, keyed by the
adapter's path and file contents' mtimes/sizes, so the merge happens once and vLLM (which
cannot take an arbitrary adapter dir as `model`) works the same way as HF.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

from mathdistill.errors import MathdistillError

NO_LOCAL_MODEL = ("fake", "openai")  # backends whose `model` is a name, not weights on disk


def prepare_model(name: str, backend: str) -> str:
    from mathdistill.models import resolve_model
    from mathdistill.models.registry import is_peft_adapter

    if backend in NO_LOCAL_MODEL:
        return name
    path = resolve_model(name)
    if (Path(path) / "nat_config.json").exists():
        if backend != "hf":
            raise MathdistillError(f"{name} is a NAT model (dual LoRA + integration unit), which only the hf "
                                   "backend runs: use --backend hf (or distill it with --method nce first)")
        return path
    if Path(path).is_dir() and is_peft_adapter(path):
        return str(merged_adapter(Path(path)))
    return path


def _fingerprint(adapter: Path) -> str:
    h = hashlib.sha256(str(adapter.resolve()).encode())
    for f in sorted(adapter.iterdir()):
        if f.is_file():
            st = f.stat()
            h.update(f"{f.name}:{st.st_size}:{st.st_mtime_ns}".encode())
    return h.hexdigest()[:16]


def merged_adapter(adapter: Path) -> Path:
    from mathdistill.models.cache import cache_dir

    out = cache_dir() / "merged" / f"{adapter.name}-{_fingerprint(adapter)}"
    if (out / "config.json").exists():
        return out
    from mathdistill._optional import require

    peft = require("peft", "train")
    transformers = require("transformers", "train")
    from mathdistill.models import resolve_model

    cfg = json.loads((adapter / "adapter_config.json").read_text())
    base_name = cfg.get("base_model_name_or_path")
    if not base_name:
        raise MathdistillError(f"{adapter}/adapter_config.json: field 'base_model_name_or_path' is missing")
    base = resolve_model(base_name)
    model = transformers.AutoModelForCausalLM.from_pretrained(base, dtype="auto")
    model = peft.PeftModel.from_pretrained(model, str(adapter)).merge_and_unload()
    tok_src = adapter if (adapter / "tokenizer_config.json").exists() else Path(base)
    tok = transformers.AutoTokenizer.from_pretrained(str(tok_src))
    tmp = out.with_name(out.name + ".partial")
    shutil.rmtree(tmp, ignore_errors=True)
    model.save_pretrained(tmp)
    tok.save_pretrained(tmp)
    (tmp / "mathdistill_merged_from.json").write_text(json.dumps({"adapter": str(adapter.resolve()),
                                                                  "base": base}, indent=1))
    shutil.rmtree(out, ignore_errors=True)
    tmp.rename(out)
    return out
