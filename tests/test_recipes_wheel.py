"""The recipes reach users who install the wheel: `mathdistill recipes list|copy` from an installed package."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """The wheel built from this tree, unpacked: what `pip install` puts in site-packages."""
    out = tmp_path_factory.mktemp("wheel")
    # Built from a copy: an in-tree build/ folder could carry files this tree no longer has.
    src = out / "tree"
    shutil.copytree(ROOT / "src", src / "src", ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    for f in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / f, src / f)
    r = subprocess.run([sys.executable, "-m", "pip", "wheel", str(src), "--no-deps", "--no-build-isolation", "-q",
                        "-w", str(out)], check=False, capture_output=True, text=True, timeout=300)
    if r.returncode != 0:
        pytest.skip(f"cannot build a wheel here: {r.stderr.strip().splitlines()[-1:]}")
    (whl,) = out.glob("mathdistill-*.whl")
    site = out / "site"
    zipfile.ZipFile(whl).extractall(site)
    return site


def md(site: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(site), "COLUMNS": "200"}
    return subprocess.run([sys.executable, "-m", "mathdistill", *args], check=False, capture_output=True, text=True,
                          cwd=cwd, env=env, timeout=120)


def test_wheel_carries_every_recipe(installed):
    shipped = {p.relative_to(installed / "mathdistill" / "configs").as_posix()
               for p in (installed / "mathdistill" / "configs").rglob("*.yaml")}
    clone = {p.relative_to(ROOT / "configs").as_posix() for p in (ROOT / "configs").rglob("*.yaml")} - {"demo.yaml"}
    assert clone <= shipped and {"run_rft_gsm8k.yaml", "run_dart_prop2diff_math.yaml", "run_tdg_math.yaml"} <= shipped
    assert (installed / "mathdistill" / "pipeline" / "demo.yaml").exists()


def test_recipes_list_and_copy_from_the_installed_package(installed, tmp_path):
    probe = subprocess.run([sys.executable, "-c", "import mathdistill; print(mathdistill.__file__)"], check=True,
                           capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(installed)},
                           cwd=tmp_path)
    assert probe.stdout.strip().startswith(str(installed)), probe.stdout  # the wheel's copy, not the clone's
    r = md(installed, "recipes", "list", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    for name in ("run_rft_gsm8k", "run_dart_prop2diff_math", "run_tdg_math", "demo", "accelerate/ddp"):
        assert name in r.stdout, name
    r = md(installed, "recipes", "copy", "run_tdg_math", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "run_tdg_math.yaml").read_text() == (ROOT / "configs" / "run_tdg_math.yaml").read_text()
    r = md(installed, "recipes", "copy", "run_tdg_math", cwd=tmp_path)
    assert r.returncode == 1 and "exists" in r.stderr
    r = md(installed, "recipes", "copy", "accelerate/ddp", "sub/", cwd=tmp_path)
    assert r.returncode == 0 and (tmp_path / "sub" / "ddp.yaml").exists(), r.stderr
    r = md(installed, "recipes", "copy", "nope", cwd=tmp_path)
    assert r.returncode == 1 and "no shipped recipe 'nope'" in r.stderr
    r = md(installed, "run", "run_rft_gsm8k", "--out", str(tmp_path / "rft"), "--dry-run", cwd=tmp_path)
    assert r.returncode == 0 and "global_batch_size: 128" in r.stdout, r.stderr
