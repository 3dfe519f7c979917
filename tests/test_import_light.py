"""`import mathdistill` and `mathdistill --help` must not import torch (or vllm, ray, transformers)."""

import subprocess
import sys

HEAVY = ("torch", "transformers", "vllm", "ray", "sympy", "peft", "trl", "datasets")


def _run(code: str) -> str:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout


def test_import_is_light():
    out = _run(
        "import sys, mathdistill, mathdistill.records, mathdistill.config, mathdistill.data.sources, "
        "mathdistill.sampling, mathdistill.grading\n"
        f"print(sorted(m for m in {HEAVY!r} if m in sys.modules))"
    )
    assert out.strip() == "[]"


def test_help_is_light():
    code = (
        "import sys\nfrom mathdistill.cli.main import app\nfrom typer.testing import CliRunner\n"
        "r = CliRunner().invoke(app, ['--help'])\nassert r.exit_code == 0, r.output\n"
        "import typer.main\ncmds = typer.main.get_command(app).commands\n"
        "assert {'env', 'data', 'models'} <= set(cmds)\n"
        "for cmd in cmds:\n"
        "    res = CliRunner().invoke(app, [cmd, '--help'])\n"
        "    assert res.exit_code == 0, (cmd, res.output)\n"
        f"print(sorted(m for m in {HEAVY!r} if m in sys.modules))"
    )
    assert _run(code).strip() == "[]"
