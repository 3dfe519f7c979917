"""`mathdistill report`: one self-contained HTML page from eval, training and curation dirs."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from mathdistill.eval.config import EvalConfig
from mathdistill.eval.pipeline import run_eval
from mathdistill.sampling.backends.fake import FakeBackend

PROBLEMS = [
    {"id": f"p{i}", "question": f"Q{i}: compute {i}+{i}<script>", "answer": str(2 * i), "level": i % 3 + 1,
     "subject": "algebra" if i % 2 else "geometry"} for i in range(6)
]


def _eval_dir(tmp: Path, name: str, script: dict) -> Path:
    data = tmp / "probs.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in PROBLEMS))
    out = tmp / name
    cfg = EvalConfig(model=name, backend="fake", data=[str(data)], n=4, out=str(out), grade_workers=1, n_boot=100)
    run_eval(cfg, backend_factory=lambda: FakeBackend(script=script), progress=False)
    return out


@pytest.fixture(scope="module")
def dirs(tmp_path_factory) -> dict[str, Path]:
    tmp = tmp_path_factory.mktemp("report")
    a = _eval_dir(tmp, "run_a", {f"Q{i}:": [f"\\boxed{{{2 * i}}}", "\\boxed{1}", f"{2 * i}/1 so \\boxed{{{2 * i}}}"]
                                 for i in range(6)})
    b = _eval_dir(tmp, "run_b", {f"Q{i}:": ["no answer here", f"\\boxed{{{i}}}"] for i in range(6)})
    train = tmp / "train"
    (train / "checkpoint-20").mkdir(parents=True)
    hist = [{"step": s, "loss": 2.0 / s, "epoch": s / 20} for s in range(1, 21)] + [{"step": 20, "eval_loss": 0.3}]
    (train / "checkpoint-20" / "trainer_state.json").write_text(json.dumps({"log_history": hist}))
    cur = tmp / "curated"
    cur.mkdir()
    (cur / "stats.json").write_text(json.dumps({
        "problems": {"total": 10, "with_positives": 7}, "positives": {"kept": 30},
        "by_level": {"1": {"problems": 4, "samples": 16}, "2": {"problems": 6, "samples": 24}},
        "per_problem": [{"problem_id": "x"}]}))
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(2, 2))
    ax.plot([0, 1], [1, 0])
    fig.savefig(cur / "lengths.png")
    plt.close(fig)
    return {"a": a, "b": b, "train": train, "cur": cur, "tmp": tmp}


def _report(dirs: dict[str, Path], *names: str) -> str:
    from typer.testing import CliRunner

    from mathdistill.cli.main import app

    out = dirs["tmp"] / ("report_" + "_".join(names) + ".html")
    r = CliRunner().invoke(app, ["report", *[str(dirs[n]) for n in names], "-o", str(out)])
    assert r.exit_code == 0, r.output
    return out.read_text()


def test_report_is_self_contained_and_has_every_section(dirs):
    html = _report(dirs, "a", "b", "train", "cur")
    # No external resources: every image is an inline PNG, no remote scripts or styles.
    assert not re.search(r"""(src|href)=['"]?(https?:)?//""", html)
    imgs = re.findall(r"<img src='([^']*)'", html)
    assert len(imgs) >= 4 and all(i.startswith("data:image/png;base64,") for i in imgs)
    for section in ("id=summary", "id='ds-probs'", "id=training", "id=curation", "id=samples-sec", "id=runs"):
        assert section in html, section
    # Both runs compared, accuracy-vs-k and loss curves present, curation stats tabulated.
    assert "run_a" in html and "run_b" in html
    assert "maj@4" in html and "pass@4" in html
    assert "checkpoint-20/trainer_state.json" in html and "with_positives" in html
    # Sample browser: verdicts, extracted answers, filters; model text is escaped.
    assert "class='v-correct'" in html and "class='v-no-answer'" in html
    assert "<script>" not in html.replace("<script>function", "").replace("<script>\nfunction", "")
    assert "&lt;script&gt;" in html
    assert "function filt()" in html and "id=frun" in html


def test_report_single_eval_dir_and_bad_dir(dirs, tmp_path):
    html = _report(dirs, "a")
    assert "id=training" not in html and "id=summary" in html
    from typer.testing import CliRunner

    from mathdistill.cli.main import app
    from mathdistill.errors import MathdistillError

    (tmp_path / "empty").mkdir()
    r = CliRunner().invoke(app, ["report", str(tmp_path / "empty"), "-o", str(tmp_path / "x.html")])
    assert r.exit_code != 0 and isinstance(r.exception, MathdistillError)
    assert "not an eval, training or curation" in str(r.exception)


def test_plots_only_where_they_carry_information_and_a_suite_table(dirs, tmp_path):
    """An accuracy-vs-k curve needs two values of k, a difficulty plot two levels; a single greedy pass
    over one level draws neither. Two models (or benchmarks) get one benchmarks x models table."""
    from mathdistill.report.html import suite_section
    from mathdistill.report.loaders import load_run
    from mathdistill.report.plots import accuracy_vs_difficulty, accuracy_vs_k

    runs = [load_run(dirs["a"]), load_run(dirs["b"])]
    assert accuracy_vs_k(runs, "probs") is not None and accuracy_vs_difficulty(runs, "probs") is not None
    one = tmp_path / "one.jsonl"
    one.write_text("".join(json.dumps({**r, "level": 1}) + "\n" for r in PROBLEMS))
    out = tmp_path / "greedy"
    run_eval(EvalConfig(model="g", backend="fake", data=[str(one)], n=1, temperature=0.0, greedy=False, out=str(out),
                        grade_workers=1, n_boot=100),
             backend_factory=lambda: FakeBackend(script={f"Q{i}:": [f"\\boxed{{{2 * i}}}"] for i in range(6)}),
             progress=False)
    single = [load_run(out)]
    assert accuracy_vs_k(single, "one") is None and accuracy_vs_difficulty(single, "one") is None
    assert suite_section(single) == ""  # one benchmark, one model: the summary says it all
    table = suite_section(runs)
    assert "Benchmarks x models" in table and table.count("<tr>") == 2  # header + one benchmark
    assert "avg@4" in table and ", sd " in table
    html = _report(dirs, "a", "b")
    assert "id=suite" in html


@pytest.mark.slow
def test_report_renders_in_headless_chromium(dirs, tmp_path):
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    if exe is None:
        pytest.skip("chromium not installed (Debian: apt-get install -y chromium; scripts/setup.sh does it)")
    html_path = dirs["tmp"] / "report_render.html"
    html_path.write_text(_report(dirs, "a", "b", "train", "cur"))
    shot = tmp_path / "report.png"
    subprocess.run([exe, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                    "--disable-background-networking", "--disable-component-update", "--disable-sync",
                    f"--user-data-dir={tmp_path / 'profile'}", f"--screenshot={shot}", "--window-size=1400,2000",
                    html_path.resolve().as_uri()], check=True, timeout=120, capture_output=True)
    import matplotlib.image as mpimg

    img = mpimg.imread(shot)
    assert img.shape[0] == 2000 and img.shape[1] == 1400
    # A rendered page with figures has many distinct colours; a blank/error page does not.
    assert img[..., :3].std() > 0.05
    assert len({tuple(px) for px in (img[::20, ::20, :3] * 255).astype(int).reshape(-1, 3)}) > 50
    keep = Path("/tmp/mathdistill_report_screenshot.png")
    shutil.copyfile(shot, keep)
