"""One vLLM engine for a whole run: the trained weights are loaded into the engine already running.

Fast: which model folders an engine may switch to by reloading weights. Slow: on the embedded
SmolLM2 and a few-step SFT, the engine that reloaded the trained weights (through the pipeline's
`Engines`, parked over the training as the runner parks it) gives the same greedy outputs as an
engine started on the trained folder.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from mathdistill.sampling.backends.vllm_backend import weights_only_change


def _folder(path: Path, **config) -> str:
    path.mkdir(parents=True)
    (path / "config.json").write_text(json.dumps({"model_type": "llama", "hidden_size": 8, **config}))
    (path / "tokenizer.json").write_text('{"vocab": {"a": 0}}')
    (path / "generation_config.json").write_text('{"eos_token_id": 2}')
    (path / "model.safetensors").write_bytes(b"weights")
    return str(path)


def test_weights_only_change(tmp_path):
    base = _folder(tmp_path / "base", use_cache=True, transformers_version="4.0")
    # what training writes differently (use_cache, the library version) is not the engine's business
    assert weights_only_change(base, _folder(tmp_path / "trained", use_cache=False, transformers_version="5.0")) \
        is None
    assert "hidden_size" in weights_only_change(base, _folder(tmp_path / "wider", hidden_size=16))
    assert "dtype" in weights_only_change(base, _folder(tmp_path / "bf16", dtype="bfloat16"))
    other_tok = _folder(tmp_path / "tok")
    (Path(other_tok) / "tokenizer.json").write_text('{"vocab": {"b": 0}}')
    assert "tokenizer.json differs" in weights_only_change(base, other_tok)
    templ = _folder(tmp_path / "templ")
    (Path(templ) / "chat_template.jinja").write_text("{{ messages }}")
    assert "chat_template.jinja" in weights_only_change(base, templ)
    no_weights = _folder(tmp_path / "adapter")
    (Path(no_weights) / "model.safetensors").unlink()
    assert "no weight files" in weights_only_change(base, no_weights)
    assert "local" in weights_only_change(base, "HuggingFaceTB/SmolLM2-135M-Instruct")
    # json files compare by content, not by how they were written
    reordered = _folder(tmp_path / "reordered")
    (Path(reordered) / "generation_config.json").write_text('{\n  "eos_token_id": 2\n}\n')
    assert weights_only_change(base, reordered) is None


_SCRIPT = r'''
import json, sys
from pathlib import Path
from types import SimpleNamespace

def main():
    base, trained, out = sys.argv[1:4]
    from mathdistill.pipeline.plan import Stage
    from mathdistill.pipeline.stages import Engines
    from mathdistill.sampling.base import BackendSpec, GenerationRequest, SamplingParams

    kw = {"max_model_len": 512, "seed": 0}
    prompts = [f"Problem:\nWhat is {i} plus one?\n\nSolution:\n" for i in (3, 11, 42)] + [
        "Problem:\nTom has 3 apples and buys 5 more. How many apples does he have?\n\nSolution:\n"]
    greedy = SamplingParams(n=1, temperature=0.0, max_tokens=24)

    def run(b):
        return [c[0].text for c in b.generate([GenerationRequest(p, greedy) for p in prompts])]

    engines = Engines()
    started = engines.factory("vllm", lambda: BackendSpec("vllm", base, kw))()
    before = run(started)
    # What the runner does before the training stage: park the engine for the eval after it.
    engines.idle([Stage("eval_sft", "eval", 1, SimpleNamespace(backend="vllm", ray=False), Path(out).parent)])
    reloaded = engines.factory("vllm", lambda: BackendSpec("vllm", trained, kw))()
    doc = {"same_engine": reloaded is started, "before": before, "reloaded": run(reloaded),
           "describe": reloaded.describe()}
    engines.release()
    fresh = BackendSpec("vllm", trained, kw).create()
    doc["fresh"] = run(fresh)
    fresh.close()
    Path(out).write_text(json.dumps(doc))

if __name__ == "__main__":
    main()
'''


@pytest.mark.slow
def test_reloaded_weights_give_a_fresh_engines_greedy_outputs(tmp_path, smollm2_path):
    pytest.importorskip("vllm")
    data = tmp_path / "data.jsonl"
    data.write_text("".join(json.dumps({"prompt": f"Problem:\nWhat is {i} plus one?\n\nSolution:\n",
                                        "completion": f"{i} + 1 = {i + 1}. The answer is {i + 1}."}) + "\n"
                            for i in range(16)))
    trained = tmp_path / "sft"
    r = subprocess.run([sys.executable, "-m", "mathdistill", "train", "--method", "sft", "--data", str(data),
                        "--model", "smollm2", "--max-steps", "4", "--learning-rate", "1e-4",
                        "--per-device-train-batch-size", "4", "--out", str(trained), "--no-progress"],
                       check=False, capture_output=True, text=True, timeout=1200)
    assert r.returncode == 0, r.stderr[-3000:]
    shutil.rmtree(next(trained.glob("checkpoint-*"), tmp_path / "none"), ignore_errors=True)
    script = tmp_path / "compare.py"
    script.write_text(_SCRIPT)
    out = tmp_path / "outputs.json"
    r = subprocess.run([sys.executable, str(script), smollm2_path, str(trained), str(out)], check=False,
                       capture_output=True, text=True, timeout=1800, cwd=Path(__file__).resolve().parents[2])
    assert r.returncode == 0, r.stderr[-5000:]
    doc = json.loads(out.read_text())
    assert doc["same_engine"], "the engine was restarted instead of reloading the weights"
    assert doc["describe"]["model"] == str(trained) and doc["describe"]["engine_started_with"] == smollm2_path
    assert doc["reloaded"] == doc["fresh"]
    assert doc["reloaded"] != doc["before"], "training changed no greedy output: the test shows nothing"
