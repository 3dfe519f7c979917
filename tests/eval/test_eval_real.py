"""Slow: `mathdistill eval` on the embedded SmolLM2 with the real HF backend, and a PEFT adapter dir."""

from __future__ import annotations

import json

import pytest

pytestmark = pytest.mark.slow


def _eval(args: list[str]) -> None:
    from typer.testing import CliRunner

    from mathdistill.cli.main import app

    r = CliRunner().invoke(app, ["eval", "--no-progress", "--grade-workers", "1", *args])
    assert r.exit_code == 0, (r.output, r.exception)


def test_eval_smollm2_hf_then_from_samples(smollm2_path, data_dir, tmp_path):
    out = tmp_path / "run"
    _eval(["--model", "smollm2", "--backend", "hf", "--data", "gsm8k", "--split", "test", "--limit", "2",
           "--n", "2", "--temperature", "0.8", "--max-new-tokens", "24", "--out", str(out)])
    res = json.loads((out / "results.json").read_text())
    m = res["metrics"]["gsm8k"]
    for k in ("greedy", "mean@n", "pass@1", "pass@2", "maj@1", "maj@2"):
        assert 0.0 <= m[k]["value"] <= 1.0
    assert res["run_metadata"]["backend"]["name"] == "hf"
    assert res["run_metadata"]["versions"]["transformers"]
    rows = [json.loads(x) for x in (out / "samples.jsonl").read_text().splitlines()]
    assert len(rows) == 2 * 3 and all(r["response"] for r in rows)
    assert all(r["num_tokens"] <= 24 for r in rows)
    _eval(["--from-samples", str(out), "--out", str(tmp_path / "again")])
    assert json.loads((tmp_path / "again" / "results.json").read_text())["metrics"] == res["metrics"]


def test_eval_peft_adapter_dir_is_merged_and_matches_base(smollm2_path, data_dir, tmp_path, monkeypatch):
    peft = pytest.importorskip("peft")
    import transformers

    monkeypatch.setenv("MATHDISTILL_CACHE", str(tmp_path / "cache"))
    base = transformers.AutoModelForCausalLM.from_pretrained(smollm2_path)
    # A fresh LoRA adapter has B = 0, so base + adapter must generate exactly what the base does.
    model = peft.get_peft_model(base, peft.LoraConfig(r=4, target_modules=["q_proj", "v_proj"]))
    adapter = tmp_path / "adapter"
    model.save_pretrained(adapter)
    cfg = json.loads((adapter / "adapter_config.json").read_text())
    cfg["base_model_name_or_path"] = smollm2_path
    (adapter / "adapter_config.json").write_text(json.dumps(cfg))
    common = ["--backend", "hf", "--data", "gsm8k", "--limit", "1", "--n", "1", "--max-new-tokens", "16",
              "--temperature", "0"]
    _eval(["--model", str(adapter), *common, "--out", str(tmp_path / "a")])
    _eval(["--model", smollm2_path, *common, "--out", str(tmp_path / "b")])
    merged = list((tmp_path / "cache" / "merged").glob("adapter-*/config.json"))
    assert len(merged) == 1
    ra = [json.loads(x)["response"] for x in (tmp_path / "a" / "samples.jsonl").read_text().splitlines()]
    rb = [json.loads(x)["response"] for x in (tmp_path / "b" / "samples.jsonl").read_text().splitlines()]
    assert ra == rb
