"""grade_many / GradingPool: same verdicts as grade, per-item timeouts (signal and hard kill), threads."""

from __future__ import annotations

import itertools
import threading
import time

from mathdistill.grading import Grade, GradingPool, grade, grade_many

ITEMS = [
    ("The answer is $\\boxed{\\frac{1}{2}}$.", "0.5"),
    ("So we get \\boxed{(1,2)}", "(2,1)"),
    ("#### 1,000", "1000", None),
    {"response": "The answer is $\\boxed{x^2+2x+1}$", "answer": "(x+1)^2"},
    {"response": "The answer is $\\boxed{7}$", "answer": "7", "finish_reason": "length"},
    ("no answer here", "\\frac{3}{4}"),
]


def _expected():
    out = []
    for it in ITEMS:
        if isinstance(it, dict):
            out.append(grade(it["response"], it["answer"], finish_reason=it.get("finish_reason")))
        else:
            out.append(grade(it[0], it[1], finish_reason=it[2] if len(it) > 2 else None))
    return out


def test_grade_many_in_process_matches_grade():
    got = grade_many(ITEMS, workers=1)
    assert got == _expected()
    assert [g.correct for g in got] == [True, False, True, True, False, False]
    assert got[4].error == "truncated" and got[4].pred == "7"
    assert got[5].error == "extract_failed" and got[5].pred is None


def test_grade_many_pool_matches_grade_and_keeps_order():
    items = ITEMS * 20
    got = grade_many(items, workers=2, timeout_s=5)
    assert got == _expected() * 20


def slow_python(response, gold, *, finish_reason=None):
    """Stuck in Python code: the worker's alarm interrupts it."""
    if response == "hang":
        while True:
            pass
    return grade(response, gold, finish_reason=finish_reason)


def stuck_in_c(response, gold, *, finish_reason=None):
    """A long loop inside one C call (like GMP arithmetic in sympy) ignores signals: only a kill stops it."""
    if response == "hang":
        sum(itertools.repeat(1, 10**12))
    return grade(response, gold, finish_reason=finish_reason)


def test_timeout_in_python_code_is_graded_timeout():
    items = [("\\boxed{3}", "3"), ("hang", "3"), ("\\boxed{4}", "3")]
    t0 = time.monotonic()
    got = grade_many(items, workers=1, timeout_s=0.5, fn=slow_python)
    assert time.monotonic() - t0 < 5
    assert [g.correct for g in got] == [True, False, False]
    assert got[1].error == "timeout" and got[2].error is None


def test_hang_in_c_code_kills_and_replaces_the_worker():
    items = [("\\boxed{3}", "3"), ("hang", "3")] + [(f"\\boxed{{{i}}}", str(i)) for i in range(30)]
    t0 = time.monotonic()
    with GradingPool(workers=2, timeout_s=0.5, grace_s=0.5, fn=stuck_in_c) as pool:
        got = pool.map(items, chunksize=4)
        assert pool.killed >= 1
    assert time.monotonic() - t0 < 20
    assert got[1] == Grade(False, "hang", "whole", "timeout")  # the cheap extraction is kept
    assert got[0].correct and all(g.correct and g.error is None for g in got[2:])


def test_grade_many_from_a_thread_uses_processes():
    out: dict = {}

    def run():
        out["grades"] = grade_many(ITEMS[:3], workers=1, timeout_s=5)

    t = threading.Thread(target=run)
    t.start()
    t.join(60)
    assert out["grades"] == _expected()[:3]


def test_pool_is_reusable_and_imap_streams():
    with GradingPool(workers=2, timeout_s=5) as pool:
        first = list(pool.imap(ITEMS))
        second = pool.map(ITEMS[:2])
    assert first == _expected() and second == _expected()[:2]


def test_workers_exit_when_parent_is_killed():
    """kill -9 of the parent must not leave grading workers blocked forever on their pipes."""
    import os
    import signal
    import subprocess
    import sys
    import time

    code = (
        "from mathdistill.grading import GradingPool\nimport time\n"
        "with GradingPool(workers=2, timeout_s=5) as pool:\n"
        "    list(pool.imap([('\\\\boxed{1}', '1')] * 10))\n"
        "    print('ready', flush=True)\n"
        "    time.sleep(60)\n"
    )
    p = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert p.stdout.readline().strip() == "ready"
    kids = subprocess.run(["pgrep", "-P", str(p.pid)], check=False, capture_output=True, text=True).stdout.split()
    assert len(kids) == 2
    os.kill(p.pid, signal.SIGKILL)
    p.wait()

    def alive(pid):
        try:
            return open(f"/proc/{pid}/stat").read().split()[2] != "Z"
        except FileNotFoundError:
            return False

    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(alive(k) for k in kids):
        time.sleep(0.2)
    assert not any(alive(k) for k in kids)
