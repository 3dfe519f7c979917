"""Every bad input of the reliability table, through the real command line (issue 23).

Each case runs the `mathdistill` entry point on tiny files with the `fake` backend (no model) and
asserts: a non-zero exit, exactly one line on stderr that names the option, field or file (and
line), no traceback anywhere (stderr is read at the file-descriptor level, so grading workers'
output counts too), and nothing written or changed in the working folder, so that the corrected
command is not refused; some cases then run the corrected command and expect exit 0.

The table runs in-process (`mathdistill.cli.main.main`: an exception it does not turn into one
line fails the test), and one case per command runs again as `python -m mathdistill` in a fresh
process, the end-to-end check of what a user sees.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    """The working folder: tiny inputs; every command runs here and writes (or not) here."""
    probs = "".join(json.dumps({"id": f"p{i}", "question": f"What is {i} + 1?", "answer": str(i + 1)}) + "\n"
                    for i in range(3))
    (tmp_path / "probs.jsonl").write_text(probs)
    (tmp_path / "empty.jsonl").write_text("")
    (tmp_path / "afile").write_text("not a folder\n")
    (tmp_path / "sft.jsonl").write_text(json.dumps({"prompt": "What is 1 + 1?\n", "completion": "2"}) + "\n")
    (tmp_path / "badrole.jsonl").write_text(json.dumps({"messages": [
        {"role": "bob", "content": "What is 1 + 1?"}, {"role": "assistant", "content": "2"}]}) + "\n")
    good = json.dumps({"response": "The answer is \\boxed{2}.", "answer": "2"})
    (tmp_path / "resp.jsonl").write_text(good + "\n")
    (tmp_path / "badline.jsonl").write_text(good + "\n" + '{"response": \n')
    (tmp_path / "nofield.jsonl").write_text(good + "\n" + json.dumps({"text": "2"}) + "\n")
    (tmp_path / "nonutf8.jsonl").write_bytes(b'{"question": "\xff\xfe", "answer": "1"}\n')
    (tmp_path / "misnamed.jsonl.gz").write_text(json.dumps({"question": "q", "answer": "1"}) + "\n")
    (tmp_path / "folder.jsonl").mkdir()
    (tmp_path / "pool.jsonl").write_text(json.dumps({"question": "What is 1 + 1?", "responses": ["\\boxed{2}"],
                                                     "answer": "2"}) + "\n")
    (tmp_path / "badreport").mkdir()
    (tmp_path / "badreport" / "results.json").write_text("{not json")
    for name, text in (("badstate", '{"log_history": [1, 2'), ("badstats", "{oops"), ("listresults", "[]")):
        (tmp_path / name).mkdir()
        (tmp_path / name / {"badstate": "trainer_state.json", "badstats": "stats.json",
                            "listresults": "results.json"}[name]).write_text(text)
    (tmp_path / "nosamples").mkdir()
    (tmp_path / "nosamples" / "samples.jsonl").write_text("")
    (tmp_path / "run.yaml").write_text(
        "teacher: toy\nstudent: toy\nbackend: fake\n"
        f"data: {{train: {tmp_path / 'probs.jsonl'}, test: [{tmp_path / 'probs.jsonl'}]}}\n"
        "sample: {k: 1, max_new_tokens: 8, grading_workers: 1}\neval: {n: 1, max_new_tokens: 8, grade_workers: 1}\n")
    return tmp_path


SAMPLE0 = ["sample", "--backend", "fake", "--model", "toy", "--no-progress"]
SAMPLE = [*SAMPLE0, "--data", "probs.jsonl", "--k", "1", "--max-new-tokens", "8", "--grading-workers", "1"]
EVAL0 = ["eval", "--backend", "fake", "--model", "toy", "--no-progress"]
EVAL = [*EVAL0, "--data", "probs.jsonl", "--n", "1", "--max-new-tokens", "8", "--grade-workers", "1"]
TRAIN = ["train", "--data", "sft.jsonl", "--no-progress"]
RUN = ["run", "run.yaml", "--out", "out"]

# id -> (arguments, what the one error line must say)
CASES: dict[str, tuple[list[str], str]] = {
    # --- validation before work starts
    "sample-temperature": ([*SAMPLE, "--temperature", "-1", "--out", "out"], "temperature must be in [0, 10], got -1"),
    "eval-temperature": ([*EVAL, "--temperature", "-1", "--out", "out"], "temperature must be in [0, 10], got -1"),
    "sample-top-p": ([*SAMPLE, "--top-p", "0", "--out", "out"], "top_p must be in (0, 1], got 0"),
    "eval-top-p": ([*EVAL, "--top-p", "0", "--out", "out"], "top_p must be in (0, 1], got 0"),
    "train-lr-scheduler": ([*TRAIN, "--lr-scheduler-type", "foo", "--out", "out"],
                           "lr_scheduler_type must be one of linear, cosine"),
    "train-template": ([*TRAIN, "--template", "foo", "--out", "out"], "template must be one of"),
    "sample-template": ([*SAMPLE, "--template", "foo", "--out", "out"], "template must be one of"),
    "eval-template": ([*EVAL, "--template", "foo", "--out", "out"], "template must be one of"),
    "curate-template": (["curate", "nosamples", "-o", "out", "--template", "foo"], "template must be one of"),
    "sample-hf-batch-size": ([*SAMPLE, "--backend", "hf", "--hf-batch-size", "0", "--out", "out"],
                             "hf.batch_size must be >= 1, got 0"),
    "import-workers-0": (["import", "pool", "pool.jsonl", "-o", "out", "--workers", "0"], "workers must be >= 1, got 0"),
    "import-workers-neg": (["import", "tdg", "pool.jsonl", "-o", "out", "--workers", "-4"],
                           "workers must be >= 1, got -4"),
    "grade-workers-0": (["grade", "resp.jsonl", "-o", "out.jsonl", "--workers", "0"], "--workers must be >= 1, got 0"),
    "grade-workers-neg": (["grade", "resp.jsonl", "-o", "out.jsonl", "--workers", "-4"], "--workers must be >= 1"),
    "sample-grading-workers": ([*SAMPLE, "--grading-workers", "0", "--out", "out"], "grading_workers must be >= 1"),
    "eval-grade-workers": ([*EVAL, "--grade-workers", "0", "--out", "out"], "grade_workers must be >= 1, got 0"),
    "grade-timeout-0": (["grade", "resp.jsonl", "-o", "out.jsonl", "--timeout", "0"], "--timeout must be > 0, got 0"),
    "grade-timeout-neg": (["grade", "resp.jsonl", "-o", "out.jsonl", "--timeout", "-1"], "--timeout must be > 0"),
    "grade-regrade-timeout-neg": (["grade", "--regrade", "nosamples", "--timeout", "-1"], "--timeout must be > 0"),
    "import-timeout-neg": (["import", "pool", "pool.jsonl", "-o", "out", "--timeout-s", "-1"],
                           "timeout_s must be > 0, got -1"),
    "sample-grading-timeout": ([*SAMPLE, "--grading-timeout-s", "0", "--out", "out"], "grading_timeout_s must be > 0"),
    "eval-grade-timeout": ([*EVAL, "--grade-timeout", "0", "--out", "out"], "grade_timeout must be > 0"),
    "curate-budget": (["curate", "nosamples", "-o", "out", "--select", "prop2diff", "--budget", "-5"],
                      "budget must be >= 1, got -5"),
    "report-max-samples": (["report", "badreport", "-o", "r.html", "--max-samples", "-5"],
                           "--max-samples must be >= 0, got -5"),
    "train-report-to": ([*TRAIN, "--report-to", "foo", "--out", "out"], "report_to must be one of none, all"),
    "sample-limit-neg": ([*SAMPLE, "--limit", "-5", "--out", "out"], "limit must be >= 1, got -5"),
    "sample-limit-0": ([*SAMPLE, "--limit", "0", "--out", "out"], "limit must be >= 1, got 0"),
    "eval-limit-neg": ([*EVAL, "--limit", "-5", "--out", "out"], "limit must be >= 1, got -5"),
    "eval-limit-0": ([*EVAL, "--limit", "0", "--out", "out"], "limit must be >= 1, got 0"),
    "data-show-limit-neg": (["data", "show", "probs.jsonl", "--limit", "-5"], "limit must be >= 1, got -5"),
    "data-show-limit-0": (["data", "show", "probs.jsonl", "--limit", "0"], "limit must be >= 1, got 0"),
    "import-limit-neg": (["import", "pool", "pool.jsonl", "-o", "out", "--limit", "-5"], "limit must be >= 1, got -5"),
    "run-dry-run-eval-temperature": ([*RUN, "--dry-run", "--set", "eval.temperature=-1"],
                                     "run.yaml: eval.temperature must be in [0, 10], got -1"),
    "run-sample-top-p": ([*RUN, "--set", "sample.top_p=0"], "sample.top_p must be in (0, 1]"),
    "run-train-scheduler": ([*RUN, "--dry-run", "--set", "train.0.lr_scheduler_type=foo"],
                            "train[0].lr_scheduler_type must be one of"),
    "run-test-limit": ([*RUN, "--dry-run", "--set", "data.test_limit=-5"], "data.test_limit must be >= 1, got -5"),
    # --- an existing file as an output folder, a file where a folder belongs
    "sample-out-file": ([*SAMPLE, "--out", "afile"], "out must be a folder, but afile is a file"),
    "eval-out-file": ([*EVAL, "--out", "afile"], "out must be a folder, but afile is a file"),
    "train-out-file": ([*TRAIN, "--out", "afile"], "output_dir must be a folder, but afile is a file"),
    "curate-out-file": (["curate", "nosamples", "-o", "afile"], "--output must be a folder, but afile is a file"),
    "import-pool-out-file": (["import", "pool", "pool.jsonl", "-o", "afile"], "--output must be a folder"),
    "import-tdg-out-file": (["import", "tdg", "pool.jsonl", "-o", "afile"], "--output must be a folder"),
    "run-out-file": (["run", "run.yaml", "--out", "afile"], "out must be a folder, but afile is a file"),
    "demo-out-file": (["demo", "--out", "afile", "--dry-run"], "out must be a folder, but afile is a file"),
    "merge-out-file": (["merge-samples", "nosamples", "-o", "afile"], "--out must be a folder, but afile is a file"),
    "eval-from-samples-out-file": (["eval", "--from-samples", "nosamples", "--out", "afile"], "out must be a folder"),
    "grade-out-folder": (["grade", "resp.jsonl", "-o", "badreport"], "-o badreport is a folder"),
    "grade-out-under-a-file": (["grade", "resp.jsonl", "-o", "afile/out.jsonl"],
                               "afile: File exists (a file where a folder is needed)"),
    "report-out-folder": (["report", "badreport", "-o", "nosamples"], "-o nosamples is a folder"),
    "curate-file-as-samples-dir": (["curate", "afile", "-o", "out"], "afile/samples.jsonl: not a samples dir"),
    "report-file-as-run-dir": (["report", "afile", "-o", "r.html"], "afile: not a folder"),
    "data-dir-file": ([*SAMPLE0, "--data", "gsm8k", "--data-dir", "afile", "--out", "out"],
                      "afile/gsm8k_train.jsonl: file not found"),
    # --- malformed or unreadable inputs
    "report-malformed-json": (["report", "badreport", "-o", "r.html"], "badreport/results.json: invalid JSON"),
    "report-malformed-trainer-state": (["report", "badstate", "-o", "r.html"],
                                       "badstate/trainer_state.json: invalid JSON"),
    "report-malformed-stats": (["report", "badstats", "-o", "r.html"], "badstats/stats.json: invalid JSON"),
    "report-results-not-an-object": (["report", "listresults", "-o", "r.html"],
                                     "listresults/results.json: expected a JSON object, got list"),
    "data-show-non-utf8": (["data", "show", "nonutf8.jsonl"], "nonutf8.jsonl:1: not UTF-8 text"),
    "grade-non-utf8": (["grade", "nonutf8.jsonl", "-o", "out.jsonl"], "nonutf8.jsonl:1: not UTF-8 text"),
    "sample-non-utf8": ([*SAMPLE0, "--data", "nonutf8.jsonl", "--out", "out"], "nonutf8.jsonl:1: not UTF-8 text"),
    "data-show-misnamed-gz": (["data", "show", "misnamed.jsonl.gz"], "misnamed.jsonl.gz: not a readable gzip file"),
    "data-show-folder-as-jsonl": (["data", "show", "folder.jsonl"], "folder.jsonl: is a directory"),
    "grade-bad-line": (["grade", "badline.jsonl", "-o", "out.jsonl"], "badline.jsonl:2: malformed JSON"),
    "grade-missing-field": (["grade", "nofield.jsonl", "-o", "out.jsonl"], "nofield.jsonl:2: field 'response'"),
    # --- a model path that is not there
    "models-path-missing": (["models", "path", "/nonexistent/model"], "/nonexistent/model: no such model folder"),
    "models-path-relative-missing": (["models", "path", "./nonexistent"], "./nonexistent: no such model folder"),
    "eval-model-missing": ([*EVAL, "--backend", "hf", "--model", "/nonexistent/model", "--out", "out"],
                           "/nonexistent/model: no such model folder"),
    "sample-model-missing": ([*SAMPLE, "--backend", "hf", "--model", "/nonexistent/model", "--out", "out"],
                             "/nonexistent/model: no such model folder"),
    "train-model-missing": ([*TRAIN, "--model", "./nonexistent", "--out", "out"], "./nonexistent: no such model folder"),
    # --- empty inputs
    "grade-empty": (["grade", "empty.jsonl", "-o", "out.jsonl"], "empty.jsonl: no lines to grade"),
    "data-show-empty": (["data", "show", "empty.jsonl"], "empty.jsonl: no problems"),
    "curate-empty": (["curate", "nosamples", "-o", "out"], "nosamples/samples.jsonl: no samples to curate"),
    "sample-empty": ([*SAMPLE0, "--data", "empty.jsonl", "--out", "out"], "empty.jsonl: no problems"),
    "eval-empty": ([*EVAL0, "--data", "empty.jsonl", "--out", "out"], "empty.jsonl: no problems"),
    "run-no-stages": ([*RUN, "--stages", ","], "--stages ',' names no stage"),
}

# The corrected command of some cases: it must not be refused because of the failed attempt.
FIXES: dict[str, list[str]] = {
    "sample-temperature": [*SAMPLE, "--temperature", "0.7", "--out", "out"],
    "eval-template": [*EVAL, "--template", "boxed_cot", "--out", "out", "--no-greedy"],
    "eval-empty": [*EVAL, "--out", "out", "--no-greedy"],
    "import-workers-0": ["import", "pool", "pool.jsonl", "-o", "out", "--workers", "1"],
    "grade-timeout-neg": ["grade", "resp.jsonl", "-o", "out.jsonl", "--workers", "1", "--timeout", "5"],
    "run-dry-run-eval-temperature": [*RUN, "--dry-run", "--set", "eval.temperature=0.5"],
}


def snapshot(root: Path) -> dict[str, tuple[int, int]]:
    return {str(p.relative_to(root)): (p.stat().st_size if p.is_file() else -1, p.stat().st_mtime_ns)
            for p in root.rglob("*")}


def mathdistill(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "COLUMNS": "300"}  # one line stays one line however long
    env.pop("MATHDISTILL_DEBUG", None)
    return subprocess.run([sys.executable, "-m", "mathdistill", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=300, check=False)


@pytest.fixture
def in_process(ws: Path, capfd: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch):
    """`mathdistill ARGS` run by the entry point in this process, in the working folder."""
    from mathdistill.cli.main import main

    monkeypatch.chdir(ws)
    monkeypatch.delenv("MATHDISTILL_DEBUG", raising=False)
    monkeypatch.setenv("COLUMNS", "300")

    def run(args: list[str]) -> subprocess.CompletedProcess:
        capfd.readouterr()
        code: int | str | None = 0
        try:
            main(args)
        except SystemExit as e:
            code = e.code
        out, err = capfd.readouterr()
        return subprocess.CompletedProcess(args, code if isinstance(code, int) else 1, out, err)

    return run


def assert_one_clear_line(r: subprocess.CompletedProcess, says: str) -> None:
    lines = [line for line in r.stderr.splitlines() if line.strip()]
    assert r.returncode == 1, (r.returncode, r.stdout, r.stderr)
    assert "Traceback" not in r.stderr + r.stdout, r.stderr
    assert len(lines) == 1, r.stderr
    assert lines[0].startswith("error: ") and says in lines[0], lines[0]


@pytest.mark.parametrize("case", list(CASES))
def test_bad_input_is_one_line_and_leaves_nothing(case: str, ws: Path, in_process):
    args, says = CASES[case]
    before = snapshot(ws)
    assert_one_clear_line(in_process(args), says)
    assert snapshot(ws) == before, "the refused command wrote or changed files"
    if case in FIXES:
        fixed = in_process(FIXES[case])
        assert fixed.returncode == 0, fixed.stderr


# One case per command, as a user runs it.
REAL_PROCESS = ["sample-temperature", "eval-top-p", "train-lr-scheduler", "import-timeout-neg", "grade-timeout-neg",
                "grade-bad-line", "curate-budget", "report-malformed-trainer-state", "run-dry-run-eval-temperature",
                "demo-out-file", "merge-out-file", "models-path-missing", "data-show-empty", "eval-model-missing",
                "run-no-stages"]


@pytest.mark.parametrize("case", REAL_PROCESS)
def test_bad_input_in_a_fresh_process(case: str, ws: Path):
    args, says = CASES[case]
    before = snapshot(ws)
    assert_one_clear_line(mathdistill(args, ws), says)
    assert snapshot(ws) == before


@pytest.mark.slow
def test_unknown_chat_role_is_refused_before_training(ws: Path, smollm2_path: str):
    """The role check needs the student's tokenizer loaded (no weights): the one case with a model, so slow;
    test_unknown_chat_role_in_the_reader is its fast half."""
    before = snapshot(ws)
    r = mathdistill(["train", "--data", "badrole.jsonl", "--model", smollm2_path, "--out", "out", "--no-progress"], ws)
    assert_one_clear_line(r, "badrole.jsonl:1: field 'messages[0].role': unknown role 'bob'")
    assert snapshot(ws) == before


def test_unknown_chat_role_in_the_reader(ws: Path):
    from mathdistill.errors import DataError
    from mathdistill.training.data import read_rows

    with pytest.raises(DataError, match=r"messages\[0\]\.role.*unknown role 'bob'"):
        read_rows(ws / "badrole.jsonl", None, default_negative=False, prompt_format="auto")


def test_grade_draws_no_progress_bar_before_a_bad_line(ws: Path):
    r = mathdistill(["grade", "badline.jsonl", "-o", "out.jsonl"], ws)
    assert "grading" not in r.stderr and "it/s" not in r.stderr and "item" not in r.stderr, r.stderr


def test_every_case_names_a_real_command():
    """The table keeps up with the command line: a renamed command would make a case pass for the wrong reason."""
    from typer.main import get_command

    from mathdistill.cli.main import app

    commands = set(get_command(app).commands)
    assert {args[0] for args, _ in CASES.values()} <= commands
