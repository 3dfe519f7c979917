"""What a model folder is: the trained-folder manifest, NAT folders, and `--model` preparation (no torch)."""

from __future__ import annotations

import json
import os

import pytest

from mathdistill.errors import MathdistillError
from mathdistill.models.manifest import (
    MANIFEST,
    NAT_CONFIG,
    is_complete,
    is_nat_dir,
    read_manifest,
    trained_prompt,
)
from mathdistill.models.prepare import _fingerprint, prepare_model


def test_manifest_reader(tmp_path):
    assert read_manifest(tmp_path) is None and not is_complete(tmp_path) and trained_prompt(str(tmp_path)) is None
    (tmp_path / MANIFEST).write_text('{"status": "comp')  # torn: the run did not finish
    assert read_manifest(tmp_path) is None and not is_complete(tmp_path)
    (tmp_path / MANIFEST).write_text(json.dumps({"status": "complete", "prompt": {"format": "plain",
                                                                                  "template": "gsm8k"}}))
    assert is_complete(tmp_path) and trained_prompt(str(tmp_path)) == ("gsm8k", "plain")
    (tmp_path / MANIFEST).write_text(json.dumps({"status": "complete", "prompt": {
        "rendering": "joined", "format": "plain", "template": "gsm8k"}}))
    assert trained_prompt(str(tmp_path)) == ("gsm8k", "joined")


def test_prepare_model_names_and_nat(tmp_path):
    assert prepare_model("gpt-x", loads_local_weights=False) == "gpt-x"
    assert prepare_model(str(tmp_path)) == str(tmp_path.resolve())
    (tmp_path / NAT_CONFIG).write_text("{}")
    assert is_nat_dir(tmp_path)
    assert prepare_model(str(tmp_path), runs_nat=True) == str(tmp_path.resolve())
    with pytest.raises(MathdistillError, match="only the hf backend"):
        prepare_model(str(tmp_path))


def test_merged_adapter_key_follows_contents_not_mtimes(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    for d in (a, b):
        d.mkdir()
        (d / "adapter_config.json").write_text('{"r": 8}')
        (d / "adapter_model.safetensors").write_bytes(b"weights")
    key = _fingerprint(a)
    assert _fingerprint(b) == key  # a copy elsewhere reuses the merge
    os.utime(a / "adapter_model.safetensors", (1, 1))
    assert _fingerprint(a) == key
    (a / "adapter_model.safetensors").write_bytes(b"retrained")
    assert _fingerprint(a) != key
