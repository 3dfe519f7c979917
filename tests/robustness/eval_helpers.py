"""Shared by the eval/run scenario tests: tiny data files, a counting fake backend, one-line CLI errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mathdistill.eval.config import EvalConfig
from mathdistill.sampling.backends.fake import FakeBackend


def write_problems(path: Path, rows: list[dict]) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return str(path)


class Counting:
    """Backend factory: a FakeBackend with `script`, counting the completions it generates."""

    def __init__(self, script: dict[str, list[str]], **kw):
        self.script, self.kw = script, kw
        self.generated = 0
        self.requests: list = []

    def __call__(self) -> FakeBackend:
        b = FakeBackend(script=self.script, **self.kw)
        orig = b.generate

        def gen(reqs):
            self.generated += sum(r.params.n for r in reqs)
            self.requests.extend(reqs)
            return orig(reqs)

        b.generate = gen  # type: ignore[method-assign]
        return b


def eval_cfg(data: list[str] | str, out: Path, **kw) -> EvalConfig:
    base = {"model": "toy", "backend": "fake", "data": [data] if isinstance(data, str) else data, "n": 2,
            "temperature": 0.7, "max_new_tokens": 50, "out": str(out), "grade_workers": 1, "batch_size": 4,
            "n_boot": 50}
    base.update(kw)
    return EvalConfig(**base)


def samples_of(out: Path) -> list[dict]:
    return [json.loads(x) for x in (out / "samples.jsonl").read_text().splitlines()]


def cli_error(capsys, *argv: str) -> str:
    """Run the CLI in-process; assert it failed with exactly one line and no traceback; return the line."""
    from mathdistill.cli.main import main

    capsys.readouterr()
    with pytest.raises(SystemExit) as e:
        main(list(argv))
    assert e.value.code not in (0, None)
    err = capsys.readouterr().err
    assert "Traceback" not in err
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1, err
    return lines[0]
