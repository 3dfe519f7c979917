"""docs/reproducing.md and the shipped paper recipes agree, and `run --dry-run` shows the papers' values."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "reproducing.md"
RECIPES = ("run_rft_gsm8k", "run_dart_prop2diff_math", "run_tdg_math")


def _cells(line: str) -> list[str]:
    # `\|` inside a cell is a literal bar, not a column separator.
    return [c.strip().replace("\\|", "|") for c in re.split(r"(?<!\\)\|", line.strip().strip("|"))]


def doc_tables() -> dict[str, list[tuple[str, str, str]]]:
    """recipe name -> [(setting, key, value)] of the table under its `## ... (configs/NAME.yaml)` heading."""
    out: dict[str, list[tuple[str, str, str]]] = {}
    recipe = None
    for line in DOC.read_text().splitlines():
        m = re.match(r"## .*\(`configs/(\w+)\.yaml`\)", line)
        if m:
            recipe = m.group(1)
            out[recipe] = []
            continue
        if line.startswith("## "):
            recipe = None
        if recipe and line.startswith("|") and not line.startswith("|---"):
            cells = _cells(line)
            if cells[0] == "Setting":
                continue
            key, value = (re.fullmatch(r"`(.+)`", c) for c in cells[2:4])
            assert key and value, f"{recipe}: row without a `key` and a `value`: {line}"
            out[recipe].append((cells[0], key.group(1), value.group(1)))
    return out


def plan_of(name: str):
    from mathdistill.pipeline import build_plan, load_run_config

    cfg = load_run_config(ROOT / "configs" / f"{name}.yaml")
    return cfg, {s.id: s for s in build_plan(cfg, "RUN")}


def resolve(cfg, stages, key: str):
    head, _, rest = key.partition(".")
    if head in stages and rest:
        obj, path = dataclasses.asdict(stages[head].config), rest
    else:
        obj, path = dataclasses.asdict(cfg), key
    for part in path.split("."):
        assert isinstance(obj, dict) and part in obj, f"{key}: no '{part}'"
        obj = obj[part]
    return obj


def test_every_paper_recipe_has_a_table():
    tables = doc_tables()
    assert set(RECIPES) <= set(tables)
    for name in RECIPES:
        assert len(tables[name]) >= 25, name
        assert (ROOT / "configs" / f"{name}.yaml").exists()


@pytest.mark.parametrize("name", RECIPES)
def test_table_matches_the_recipe(name):
    cfg, stages = plan_of(name)
    wrong = []
    for setting, key, value in doc_tables()[name]:
        want, got = yaml.safe_load(value), resolve(cfg, stages, key)
        same = got == pytest.approx(want) if isinstance(want, float) else got == want
        if not same:
            wrong.append(f"{setting}: {key} is {got!r} in the recipe, {want!r} in docs/reproducing.md")
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("name", RECIPES)
def test_dry_run_by_name_shows_the_papers_values(name, tmp_path):
    from typer.testing import CliRunner

    from mathdistill.cli.main import app

    r = CliRunner().invoke(app, ["run", name, "--out", str(tmp_path / "run"), "--dry-run"])
    assert r.exit_code == 0, r.output
    assert not (tmp_path / "run").exists()
    cfg, stages = plan_of(name)
    parts = re.split(r"─+ (\S+) \(\w+\) ─+", r.output)
    blocks = {parts[i]: re.sub(r"\s+", " ", parts[i + 1]) for i in range(1, len(parts) - 1, 2)}
    assert set(blocks) == {s for s in stages if s != "report"}
    for _, key, value in doc_tables()[name]:
        field = key.rsplit(".", 1)[-1]
        got = resolve(cfg, stages, key)
        if key.split(".")[0] not in stages:
            continue  # a run-level key: the dry run prints the stages' configs it resolves to
        if isinstance(got, bool | int | float) or (isinstance(got, str) and "/" not in got):
            shown = yaml.safe_dump({field: got}, default_flow_style=True).strip("{}\n")
            assert shown in blocks[key.split(".")[0]], f"{key}: '{shown}' not in the dry-run output"
