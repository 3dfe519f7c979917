"""The recipes shipped inside the package (`mathdistill recipes list|copy`, like torchtune's `tune ls|cp`).

Every YAML of a clone's `configs/` is package data under `mathdistill/configs/` (the clone's files
link there; the demo lives beside the pipeline that runs it), so a `pip install` user has the same
recipes as a clone. A recipe is named by its path under `configs/` without `.yaml`
(`run_tdg_math`, `accelerate/ddp`); `mathdistill run NAME` finds a shipped recipe by that name.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from mathdistill.errors import ConfigError


@dataclass(frozen=True)
class Recipe:
    name: str
    path: Path
    description: str  # the file's first comment line

    @property
    def kind(self) -> str:
        """run | sample | curate | eval | accelerate (what loads it)."""
        if "/" in self.name:
            return self.name.split("/", 1)[0]
        return "run" if self.name == "demo" else self.name.split("_", 1)[0]


def recipes_dir() -> Path:
    from importlib.resources import files

    return Path(str(files("mathdistill") / "configs"))


def _demo() -> Path:
    from importlib.resources import files

    return Path(str(files("mathdistill.pipeline") / "demo.yaml"))


def _description(path: Path) -> str:
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("#"):
            return line.lstrip("#").strip()
        if line.strip():
            break
    return ""


def list_recipes() -> list[Recipe]:
    root = recipes_dir()
    found = {p.relative_to(root).with_suffix("").as_posix(): p for p in sorted(root.rglob("*.yaml"))}
    found.setdefault("demo", _demo())
    return [Recipe(name, path, _description(path)) for name, path in sorted(found.items())]


def find_recipe(name: str) -> Path | None:
    """The shipped file of `name` (with or without .yaml, with or without a leading configs/)."""
    key = name.removeprefix("configs/").removesuffix(".yaml")
    return next((r.path for r in list_recipes() if r.name == key), None)


def copy_recipe(name: str, dest: str | Path | None = None, *, overwrite: bool = False) -> Path:
    """Copy a shipped recipe to `dest` (a file, or a folder to copy into; default: ./NAME.yaml)."""
    src = find_recipe(name)
    if src is None:
        known = ", ".join(r.name for r in list_recipes())
        raise ConfigError(f"no shipped recipe '{name}' (known: {known})")
    target = Path(dest) if dest is not None else Path(Path(name).name).with_suffix(".yaml")
    if target.is_dir() or str(dest).endswith(("/", "\\")):
        target = target / src.name
    if target.exists() and not overwrite:
        raise ConfigError(f"{target} exists; pass --force to overwrite it")
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(src, target)
    return target
