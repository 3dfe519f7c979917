"""Turn `--model` into something a backend can load.

A PEFT adapter directory (adapter_config.json) is merged into its base model with peft's
`merge_and_unload` and saved as a plain checkpoint under the cache dir, keyed by the contents of
the adapter's files, so the merge happens once per adapter and vLLM (which cannot take an
arbitrary adapter dir as `model`) works the same way as HF.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from mathdistill.errors import MathdistillError
from mathdistill.models.manifest import MANIFEST, MERGED_FROM, is_nat_dir


def prepare_model(name: str, *, loads_local_weights: bool = True, runs_nat: bool = False) -> str:
    """The path (or name) a backend should load for `name`.

    loads_local_weights: False for backends whose `model` is only a name (fake, an API server);
    runs_nat: whether the backend can run a NAT folder (only the hf backend can)."""
    from mathdistill.models.registry import is_peft_adapter, resolve_model

    if not loads_local_weights:
        return name
    path = resolve_model(name)
    if is_nat_dir(path):
        if not runs_nat:
            raise MathdistillError(f"{name} is a NAT model (dual LoRA + integration unit), which only the hf "
                                   "backend runs: use --backend hf (or distill it with --method nce first)")
        return path
    if Path(path).is_dir() and is_peft_adapter(path):
        return str(merged_adapter(Path(path)))
    return path


def _fingerprint(adapter: Path) -> str:
    """Key of the adapter's contents: a retrained adapter gets a new merge, a copied one reuses it."""
    from mathdistill.io.fingerprint import file_digest, text_fingerprint

    digests = {f.name: file_digest(f) for f in sorted(adapter.iterdir()) if f.is_file()}
    return text_fingerprint(json.dumps(digests, sort_keys=True))


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
    (tmp / MERGED_FROM).write_text(json.dumps({"adapter": str(adapter.resolve()), "base": base}, indent=1))
    if (adapter / MANIFEST).exists():  # the merged copy is prompted as the adapter was trained
        shutil.copyfile(adapter / MANIFEST, tmp / MANIFEST)
    shutil.rmtree(out, ignore_errors=True)
    tmp.rename(out)
    return out
