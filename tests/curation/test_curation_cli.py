"""The CLI: `curate` with flags / --config / --set, `import tdg`, one-line errors."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from curation_helpers import mk, problem, write_dir

from mathdistill.cli.main import main

REPO = Path(__file__).resolve().parents[2]


def run(argv: list[str], capsys) -> tuple[int, str, str]:
    try:
        main(argv)
        code = 0
    except SystemExit as e:
        code = int(e.code or 0)
    out = capsys.readouterr()
    return code, out.out, out.err


def test_curate_cli_uniform(mixed_dir, tmp_path, capsys):
    out = tmp_path / "o"
    code, _stdout, err = run(
        [
            "curate",
            str(mixed_dir),
            "-o",
            str(out),
            "--select",
            "uniform",
            "--k-correct",
            "1",
            "--no-plots",
            "--formats",
            "sft,pairs",
            "--keep-no-answer",
        ],
        capsys,
    )
    assert code == 0, err
    pos = [json.loads(line)["sample_idx"] for line in (out / "positives.jsonl").read_text().splitlines()]
    assert pos == [0, 0]  # P1 idx 0, P2 idx 0
    assert not (out / "kto.jsonl").exists() and (out / "pairs.jsonl").exists()
    neg = [json.loads(line)["sample_idx"] for line in (out / "negatives.jsonl").read_text().splitlines()]
    assert neg == [3, 5, 0, 1]  # the no-answer P1/5 kept, the truncated P1/4 dropped
    assert "select: uniform" in (out / "config.yaml").read_text()


@pytest.mark.parametrize("cfg", sorted((REPO / "configs").glob("curate_*.yaml")), ids=lambda p: p.name)
def test_shipped_configs_load_and_run(cfg, mixed_dir, tmp_path, capsys):
    code, _, err = run(
        [
            "curate",
            str(mixed_dir),
            "-o",
            str(tmp_path / "o"),
            "--config",
            str(cfg),
            "--set",
            "plots=false",
            "--set",
            "decontaminate=",
        ],
        capsys,
    )
    assert code == 0, err


def test_curate_cli_bad_input_is_one_line(tmp_path, capsys):
    d = write_dir(tmp_path / "s", [mk("P", 0, "a", True)], [problem("P")])
    with open(d / "samples.jsonl", "a") as f:
        f.write(json.dumps({"problem_id": "P", "sample_idx": 1, "prompt": "p", "correct": True}) + "\n")
    code, _, err = run(["curate", str(d), "-o", str(tmp_path / "o")], capsys)
    assert code == 1
    assert err.strip().count("\n") == 0 and "samples.jsonl:2: field 'response': missing required field" in err
    code, _, err = run(["curate", str(d), "-o", str(tmp_path / "o"), "--select", "prop2diff"], capsys)
    assert code == 1 and "k_max" in err


def test_import_tdg_cli(tmp_path, capsys):
    src = tmp_path / "t.jsonl.gz"
    row = {
        "question": "Problem:\nWhat is 2+2?",
        "answer": "\\boxed{4}",
        "generated_answer": ["\\boxed{4}", "5"],
        "level": "Level 1",
        "type": "Algebra",
        "teacher": "gpt-4",
        "unique_id": "train/algebra/9.json",
    }
    with gzip.open(src, "wt") as f:
        f.write(json.dumps(row) + "\n")
    code, _stdout, err = run(
        ["import", "tdg", str(src), "-o", str(tmp_path / "imp"), "--workers", "1"], capsys
    )
    assert code == 0, err
    assert {p.name for p in (tmp_path / "imp").iterdir()} >= {
        "problems.jsonl",
        "samples.jsonl",
        "stats.jsonl",
        "run.json",
    }
    with gzip.open(src, "wt") as f:
        f.write(json.dumps(row) + "\n" + json.dumps({**row, "generated_answer": [1, 2]}) + "\n")
    code, _, err = run(["import", "tdg", str(src), "-o", str(tmp_path / "imp2"), "--workers", "1"], capsys)
    assert code == 1 and err.strip().count("\n") == 0
    assert "t.jsonl.gz:2: field 'generated_answer': expected a string or a list of strings" in err
