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


def test_cli_does_not_load_the_stages():
    """The command modules import only their stage's config: the runners (and the grader under them) load
    when a command runs, so every invocation, `--help` and a one-line error included, starts quickly."""
    out = _run(
        "import sys\nimport mathdistill.cli.main\n"
        "print(sorted(m for m in sys.modules if m.startswith(('mathdistill.grading', 'mathdistill.sampling.runner', "
        "'mathdistill.pipeline.runner', 'mathdistill.pipeline.plan', 'mathdistill.eval.pipeline'))))"
    )
    assert out.strip() == "[]"


def test_lazy_package_exports_keep_their_names():
    from mathdistill import pipeline, sampling
    from mathdistill.pipeline.runner import run_pipeline
    from mathdistill.sampling.base import get_backend
    from mathdistill.sampling.runner import run_sampling

    assert (sampling.run_sampling, sampling.get_backend, pipeline.run_pipeline) == (run_sampling, get_backend,
                                                                                    run_pipeline)
    for pkg in (sampling, pipeline):
        for name in pkg.__all__:
            assert getattr(pkg, name) is not None
        try:
            pkg.nope  # noqa: B018
        except AttributeError:
            pass
        else:
            raise AssertionError(f"{pkg.__name__}.nope resolved")
