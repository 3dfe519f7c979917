"""`grade_many`: grading in worker processes with a per-item wall-clock timeout.

Each worker grades a chunk item by item under a SIGALRM timer (cheap, catches slow sympy) and
reports every item as it finishes. The parent watches the clock too: a worker silent for longer
than the timeout plus a grace period (stuck in C code that ignores signals) is killed, its current
item is graded `error="timeout"`, the rest of its chunk is re-queued and a fresh worker started.
`workers=1` in the main thread runs in-process under the same alarm; from any other thread it
uses a one-worker process pool, so the function is safe to call from threads.

Items are (response, gold[, finish_reason]) tuples or dicts with response / answer / finish_reason and an
optional `choices` (the options of a multiple-choice question, see `grade`). `percent=` and `mode=`
("auto" | "response" | "answer") apply to every item.
"""

from __future__ import annotations

import gc
import multiprocessing as mp
import os
import signal
import threading
import time
from collections import deque
from collections.abc import Iterable, Iterator
from functools import partial
from multiprocessing.connection import wait
from typing import Self

from mathdistill.config import check_option
from mathdistill.grading.deadline import external_bound
from mathdistill.grading.extract import extract_answer
from mathdistill.grading.grader import DEFAULT_MODE, DEFAULT_PERCENT, Grade, gold_answer, grade, grader_id

Item = tuple | dict


def check_timeout(timeout_s: float) -> None:
    """Refuse a per-item timeout <= 0: every item would be graded a timeout (wrong) in a run that
    still looks finished."""
    check_option("timeout_s", timeout_s, gt=0)


class _Timeout(BaseException):
    """BaseException so library code's `except Exception` cannot swallow it."""


def _on_alarm(signum, frame):  # pragma: no cover - exercised through timeouts
    raise _Timeout()


def _coerce(item: Item) -> tuple[str, str, str | None, object]:
    if isinstance(item, dict):
        return str(item.get("response") or ""), str(item["answer"]), item.get("finish_reason"), item.get("choices")
    if len(item) == 2:
        return str(item[0] or ""), str(item[1]), None, None
    return str(item[0] or ""), str(item[1]), item[2], None


def _grade_with_alarm(resp: str, gold: str, fr: str | None, choices, timeout_s: float, fn=None) -> Grade:
    old = signal.signal(signal.SIGALRM, _on_alarm)
    signal.setitimer(signal.ITIMER_REAL, timeout_s)
    try:
        with external_bound():  # this alarm is the item's bound; grade() must not shorten it
            if choices:
                return (fn or grade)(resp, gold, finish_reason=fr, choices=choices)
            return (fn or grade)(resp, gold, finish_reason=fr)
    except _Timeout:
        return _failed(resp, gold, "timeout", fn)
    except Exception as e:  # noqa: BLE001 - a grader bug must not kill a run; it is recorded per item
        return Grade(False, None, "none", f"exception: {type(e).__name__}: {e}"[:200])
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def _failed(resp: str, gold: str, error: str, fn=None) -> Grade:
    """A grade for an item whose comparison did not finish; the (cheap) extraction is kept."""
    mode = fn.keywords.get("mode", DEFAULT_MODE) if isinstance(fn, partial) else DEFAULT_MODE
    try:
        ex = extract_answer(resp, gold_answer(gold), mode=mode)
        return Grade(False, ex.answer, ex.rule, error)
    except Exception:  # noqa: BLE001
        return Grade(False, None, "none", error)


def _worker_main(conn, timeout_s: float, fn, cur, started) -> None:
    """Grade chunks; `cur`/`started` (shared memory) tell the parent which item runs since when,
    so results can travel in batches (one message per ~50 ms, not per item) and a hard kill
    still blames exactly the stuck item."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C
    gc.freeze()  # a forked worker must not re-scan (and copy) the parent's whole heap at every collection
    parent = os.getppid()
    _warm_up()
    while True:
        # A forked sibling inherits the parent's end of this pipe, so a parent killed with -9 may
        # never produce EOF here: poll and exit once we have been re-parented.
        while not conn.poll(1.0):
            if os.getppid() != parent:
                return
        try:
            chunk = conn.recv()
        except EOFError:
            return
        if chunk is None:
            return
        out, last = [], time.monotonic()
        for idx, resp, gold, fr, choices in chunk:
            started.value = time.monotonic()
            cur.value = idx
            g = _grade_with_alarm(resp, gold, fr, choices, timeout_s, fn)
            out.append((idx, g.correct, g.pred, g.rule, g.error))
            if time.monotonic() - last > 0.05:
                conn.send(out)
                out, last = [], time.monotonic()
        cur.value = -1
        if out:
            conn.send(out)


def _warm_up() -> None:
    """Import the slow parts (sympy, the LaTeX parser) before taking work, so a freshly spawned
    worker does not spend the first item's timeout on imports."""
    try:
        from mathdistill.grading.symbolic import _lazy, to_sympy

        _lazy()
        to_sympy("\\frac{x}{2}")
        grade("\\boxed{\\frac{1}{2}}", "0.5")
    except Exception:  # noqa: BLE001, S110 - warm-up is best effort; real items report their own errors
        pass


class _Proc:
    def __init__(self, ctx, timeout_s: float, fn):
        self.conn, child = ctx.Pipe()
        self.cur = ctx.Value("q", -1, lock=False)  # index being graded, -1 when idle
        self.started = ctx.Value("d", 0.0, lock=False)  # time.monotonic() when it started
        self.proc = ctx.Process(target=_worker_main, args=(child, timeout_s, fn, self.cur, self.started),
                                daemon=True)
        self.proc.start()
        child.close()
        self.sent: dict = {}  # index -> (index, response, gold, finish_reason, choices), sent and not answered

    def kill(self) -> None:
        try:
            self.proc.kill()
            self.proc.join(1)
        finally:
            self.conn.close()


def _context():
    if hasattr(os, "fork") and threading.current_thread() is threading.main_thread() \
            and threading.active_count() == 1:
        return mp.get_context("fork")  # cheap, and workers inherit an already imported sympy
    return mp.get_context("spawn")


class GradingPool:
    """Worker processes reused across calls; use as a context manager.

    `fn(response, gold, *, finish_reason)` replaces `grade` (a module-level function, so it can be
    sent to workers); the benchmark runs other graders under the same timeout this way.
    """

    def __init__(self, workers: int = 2, timeout_s: float = 5.0, grace_s: float | None = None, fn=None,
                 percent: str = DEFAULT_PERCENT, mode: str = DEFAULT_MODE):
        check_timeout(timeout_s)
        self.fn = _with_settings(fn, percent, mode)
        self.workers = max(1, int(workers))
        self.timeout_s = float(timeout_s)
        self.grace_s = grace_s if grace_s is not None else max(1.0, 0.5 * self.timeout_s)
        self._ctx = _context()
        self._procs: list[_Proc] = []
        self.killed = 0  # workers replaced after a hard timeout

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        for p in self._procs:
            try:
                p.conn.send(None)
            except (OSError, ValueError):
                pass
        for p in self._procs:
            p.proc.join(2)
            if p.proc.is_alive():
                p.kill()
        self._procs = []

    def imap(self, items: Iterable[Item], chunksize: int = 16) -> Iterator[Grade]:
        """Grades in input order, yielded as soon as each prefix is complete (work runs grouped by
        gold, so pass batches, not one huge stream, when you want early results)."""
        # same-gold items go to the same chunk: each worker's caches (gold normalisation and sympy
        # parse) then serve all samples of a problem instead of every worker parsing every gold
        todo = deque(sorted(enumerate(_coerce(it) for it in items), key=lambda x: x[1][1]))
        n = len(todo)
        results: dict[int, Grade] = {}
        nxt = 0
        while len(self._procs) < min(self.workers, max(1, n)):
            self._procs.append(_Proc(self._ctx, self.timeout_s, self.fn))
        while nxt < n:
            for p in self._procs:
                while len(p.sent) <= chunksize and todo:  # two chunks in flight: no idle round trip
                    chunk = [(i, *t) for i, t in (todo.popleft() for _ in range(min(chunksize, len(todo))))]
                    p.sent.update((c[0], c) for c in chunk)
                    p.conn.send(chunk)
            busy = [p for p in self._procs if p.sent]
            ready = wait([p.conn for p in busy], timeout=0.1)
            for p in busy:
                if p.conn in ready:
                    try:
                        while p.conn.poll():
                            for idx, c, pred, rule, err in p.conn.recv():
                                results[idx] = Grade(c, pred, rule, err)
                                p.sent.pop(idx, None)
                    except (EOFError, OSError):
                        self._replace(p, results, todo, "exception: worker died")
                elif p.cur.value >= 0 and time.monotonic() - p.started.value > self.timeout_s + self.grace_s:
                    self._replace(p, results, todo, "timeout")
            while nxt < n and nxt in results:
                yield results.pop(nxt)
                nxt += 1

    def _replace(self, p: _Proc, results: dict, todo: deque, error: str) -> None:
        """Kill a stuck/dead worker: its current item fails, the rest of its chunk is re-queued."""
        self.killed += 1
        p.kill()
        idx = p.cur.value
        if idx not in p.sent:
            idx = min(p.sent) if p.sent else None
        if idx is not None:
            item = p.sent.pop(idx)
            results[idx] = _failed(item[1], item[2], error, self.fn)
        for i in sorted(p.sent, reverse=True):  # graded-but-unsent and unstarted items run again
            todo.appendleft((i, p.sent[i][1:]))
        self._procs[self._procs.index(p)] = _Proc(self._ctx, self.timeout_s, self.fn)

    def map(self, items: Iterable[Item], chunksize: int = 16) -> list[Grade]:
        return list(self.imap(items, chunksize))


def _with_settings(fn, percent: str, mode: str):
    """`grade` under a non-default percent convention or answer mode (a partial pickles, so spawned
    workers get it)."""
    if percent == DEFAULT_PERCENT and mode == DEFAULT_MODE:
        return fn
    if fn is not None:
        if isinstance(fn, partial) and fn.func is grade and fn.keywords == _settings(percent, mode):
            return fn  # already applied (grade_many hands its fn on to a pool)
        raise ValueError("percent= / mode= apply to the built-in grade(); pass them inside your own fn instead")
    grader_id(percent, mode)  # validates
    return partial(grade, **_settings(percent, mode))


def _settings(percent: str, mode: str) -> dict:
    return {k: v for k, v, d in (("percent", percent, DEFAULT_PERCENT), ("mode", mode, DEFAULT_MODE)) if v != d}


def grade_many(items: Iterable[Item], *, workers: int = 1, timeout_s: float = 5.0, fn=None,
               percent: str = DEFAULT_PERCENT, mode: str = DEFAULT_MODE) -> list[Grade]:
    """Grade (response, gold[, finish_reason]) tuples or dicts (response/answer/finish_reason[/choices]);
    `mode="answer"` when the responses are already extracted answers."""
    check_timeout(timeout_s)
    fn = _with_settings(fn, percent, mode)
    items = list(items)
    if not items:
        return []
    if workers <= 1 and threading.current_thread() is threading.main_thread():
        return [_grade_with_alarm(*_coerce(it), timeout_s, fn) for it in items]
    chunksize = max(1, min(64, len(items) // (max(1, workers) * 8)))
    with GradingPool(workers, timeout_s, fn=fn) as pool:
        return pool.map(items, chunksize)
