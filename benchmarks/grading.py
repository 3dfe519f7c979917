"""Grader benchmark: mathdistill vs math-verify vs a Hendrycks-style normaliser, side by side.

(a) the labelled case table (tests/grading/cases.py): accuracy per category and items/s;
(c) the held-out categories (tests/grading/cases_heldout.py: decimal forms, unfinished/hedged, prose
    answers, equivalent forms, percent vs decimal, GSM8K/last-number), same columns;
(d) the Grading 2.0 categories (tests/grading/cases_v2.py, issue 18: bare answers, choice letters, relations,
    several answers, sets/tuples/plus-minus, digit grouping, percent words, equation golds, long/unfinished
    responses, unclosed boxes, equivalence, other languages, pathological inputs), same columns;
(b) real teacher outputs (TDG GPT-4 / GPT-3.5 samples on MATH train, gold = last \\boxed of the
    reference solution): items/s on the same items, agreement matrix, pool scaling; a sample of
    the disagreements is written to --dump for reading by hand.

    python benchmarks/grading.py                   # defaults: all 120k for ours, 3000 for math-verify
    python benchmarks/grading.py --mv-limit 1000 --skip-pool
    python benchmarks/grading.py --skip-cases --skip-heldout --skip-v2 --mv-limit 0 --skip-pool \
        --verdicts-out new.jsonl --verdicts-base old.jsonl --changes changes.jsonl   # verdict change log

math-verify comes with the `bench` extra: pip install -e '.[bench]'.
"""

from __future__ import annotations

import argparse
import gzip
import importlib.util
import json
import logging
import os
import random
import resource
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from mathdistill.grading import GRADER_VERSION, GradingPool, grade, grade_many, is_equivalent
from mathdistill.grading.boxed import last_boxed
from mathdistill.grading.grader import gold_answer


# --- Hendrycks MATH `is_equiv` (modeling/math_equivalence.py), the baseline most papers use -------------
def _fix_fracs(string):
    substrs = string.split("\\frac")
    new_str = substrs[0]
    for substr in substrs[1:]:
        new_str += "\\frac"
        if substr[:1] == "{":
            new_str += substr
        else:
            if len(substr) < 2:
                return string
            a, b = substr[0], substr[1]
            if b != "{":
                new_str += "{" + a + "}{" + b + "}" + substr[2:]
            else:
                new_str += "{" + a + "}" + b + substr[2:]
    return new_str


def _fix_a_slash_b(string):
    if len(string.split("/")) != 2:
        return string
    a, b = string.split("/")
    try:
        a, b = int(a), int(b)
        assert string == f"{a}/{b}"
        return "\\frac{" + str(a) + "}{" + str(b) + "}"
    except (ValueError, AssertionError):
        return string


def _remove_right_units(string):
    if "\\text{ " in string:
        splits = string.split("\\text{ ")
        assert len(splits) == 2
        return splits[0]
    return string


def _fix_sqrt(string):
    if "\\sqrt" not in string:
        return string
    splits = string.split("\\sqrt")
    new_string = splits[0]
    for split in splits[1:]:
        if split[:1] != "{" and split:
            new_string += "\\sqrt{" + split[0] + "}" + split[1:]
        else:
            new_string += "\\sqrt" + split
    return new_string


def _strip_string(string):
    string = string.replace("\n", "").replace("\\!", "").replace("\\\\", "\\")
    string = string.replace("tfrac", "frac").replace("dfrac", "frac").replace("\\left", "").replace("\\right", "")
    string = string.replace("^{\\circ}", "").replace("^\\circ", "").replace("\\$", "")
    string = _remove_right_units(string)
    string = string.replace("\\%", "").replace("%", "").replace(" .", " 0.").replace("{.", "{0.")
    if not string:
        return string
    if string[0] == ".":
        string = "0" + string
    if len(string.split("=")) == 2 and len(string.split("=")[0]) <= 2:
        string = string.split("=")[1]
    string = _fix_sqrt(string).replace(" ", "")
    string = _fix_fracs(string)
    if string == "0.5":
        string = "\\frac{1}{2}"
    return _fix_a_slash_b(string)


def hendrycks_equiv(pred, gold) -> bool:
    if pred is None or gold is None:
        return False
    try:
        return _strip_string(pred) == _strip_string(gold)
    except Exception:  # noqa: BLE001
        return pred == gold


def hendrycks_response(response: str, gold: str) -> bool:
    return hendrycks_equiv(last_boxed(response), gold)


# --- math-verify, used as its README says: gold wrapped in $...$, verify(gold, pred) ---------------------
def mv_response(response: str, gold: str) -> bool:
    from math_verify import parse, verify

    try:
        return bool(verify(parse("$" + gold + "$"), parse(response)))
    except Exception:  # noqa: BLE001
        return False


def mv_pred(pred: str, gold: str) -> bool:
    return mv_response("$" + pred + "$", gold)


# --- (a) case table ---------------------------------------------------------------------------------------
def load_cases(fname: str = "cases.py") -> list[dict]:
    spec = importlib.util.spec_from_file_location("grading_" + fname[:-3], REPO / "tests" / "grading" / fname)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod.CASES


def bench_cases(fname: str = "cases.py", title: str = "(a) case table") -> None:
    cases = load_cases(fname)
    graders = {  # each grader called the natural way; only ours knows the choices of a multiple-choice row
        "mathdistill": (lambda p, g, c: is_equivalent(p, g), lambda r, g, c: grade(r, g, choices=c).correct),
        "math-verify": (lambda p, g, c: mv_pred(p, g), lambda r, g, c: mv_response(r, g)),
        "hendrycks": (lambda p, g, c: hendrycks_equiv(p, g), lambda r, g, c: hendrycks_response(r, g)),
    }
    right: dict = defaultdict(Counter)
    speed = {}
    for name, (on_pred, on_resp) in graders.items():
        t0 = time.perf_counter()
        for c in cases:
            fn = on_pred if c["kind"] == "pred" else on_resp
            ok = fn(c["text"], c["gold"], c.get("choices")) is c["expected"]
            right[name][c["category"]] += ok
            right[name]["ALL"] += ok
        speed[name] = len(cases) / (time.perf_counter() - t0)
    n = Counter(c["category"] for c in cases)
    n["ALL"] = len(cases)
    print(f"\n{title} ({fname}): {len(cases)} labelled cases (accuracy = verdict matches the label)")
    print(f"{'category':32s} {'n':>4s} " + " ".join(f"{k:>12s}" for k in graders))
    for cat in sorted(n, key=lambda c: (c == "ALL", c)):
        print(f"{cat:32s} {n[cat]:4d} " + " ".join(f"{right[k][cat] / n[cat]:12.1%}" for k in graders))
    print(f"{'items/s':32s} {'':4s} " + " ".join(f"{speed[k]:12.0f}" for k in graders))


# --- (b) teacher outputs ----------------------------------------------------------------------------------
def load_teacher(data_dir: Path) -> list[tuple[str, str, str]]:
    items = []
    for name in ("teacher_math_gpt4.jsonl.gz", "teacher_math_gpt35.jsonl.gz"):
        with gzip.open(data_dir / name, "rt", encoding="utf-8") as f:
            for line in f:
                row = json.loads(line)
                gold = gold_answer(row["answer"])
                items.extend((resp, gold, name.split("_")[2].split(".")[0]) for resp in row["generated_answer"])
    return items


def _timed(fn, items):
    t0 = time.perf_counter()
    out = [fn(r, g) for r, g, _ in items]
    return out, len(items) / (time.perf_counter() - t0)


def bench_teacher(args) -> None:
    items = load_teacher(Path(args.data_dir))
    order = list(range(len(items)))
    random.Random(0).shuffle(order)
    items = [items[i] for i in order]
    ours_items = items[: args.limit] if args.limit else items
    sub = items[: args.mv_limit]
    print(f"\n(b) teacher outputs: {len(items)} samples; mathdistill on {len(ours_items)}, "
          f"all three graders on the same {len(sub)}")

    # grade_many(workers=1): in process, with the per-item 5 s alarm
    t0 = time.perf_counter()
    grades = grade_many([(r, g) for r, g, _ in ours_items], workers=1, timeout_s=5.0)
    ours_all_speed = len(ours_items) / (time.perf_counter() - t0)
    acc = sum(x.correct for x in grades) / len(grades)
    fail = sum(x.pred is None for x in grades) / len(grades)
    rules = Counter(x.rule for x in grades)
    print(f"mathdistill on {len(ours_items)}: {ours_all_speed:.0f} items/s single process, accuracy {acc:.4f}, "
          f"extraction failures {fail:.4f}, timeouts {sum(x.error == 'timeout' for x in grades)}, "
          f"rules {dict(rules.most_common())}")
    if args.verdicts_out:
        with open(args.verdicts_out, "w", encoding="utf-8") as f:  # in load order (before the shuffle)
            for i in sorted(range(len(ours_items)), key=lambda k: order[k]):
                g = grades[i]
                f.write(json.dumps([g.correct, g.pred, g.rule, g.error]) + "\n")
        print(f"wrote {len(grades)} verdicts ({GRADER_VERSION}) to {args.verdicts_out}")
    if args.verdicts_base:
        change_log(args, ours_items, grades, order)
    if not sub:
        return

    # a cold run on the subset: fresh caches, so the same-items speed comparison is fair
    from mathdistill.grading import compare, normalize, numeric, symbolic

    for f in (compare._equiv, normalize.normalize, numeric.parse_number, symbolic.to_sympy):
        f.cache_clear()
    t0 = time.perf_counter()
    ours = [x.correct for x in grade_many([(r, g) for r, g, _ in sub], workers=1, timeout_s=5.0)]
    s_ours = len(sub) / (time.perf_counter() - t0)
    mv, s_mv = _timed(mv_response, sub)
    hd, s_hd = _timed(hendrycks_response, sub)
    print(f"items/s on the same {len(sub)} items (single process, cold caches): mathdistill {s_ours:.0f}, "
          f"math-verify {s_mv:.0f}, hendrycks {s_hd:.0f}  -> mathdistill/math-verify = {s_ours / s_mv:.1f}x")
    for name, v in (("mathdistill", ours), ("math-verify", mv), ("hendrycks", hd)):
        print(f"  accuracy {name:12s} {sum(v) / len(v):.4f}")
    cols = {"mathdistill": ours, "math-verify": mv, "hendrycks": hd}
    print("agreement matrix (fraction of items with the same verdict):")
    print(" " * 14 + "".join(f"{k:>14s}" for k in cols))
    for a, va in cols.items():
        print(f"{a:14s}" + "".join(f"{sum(x == y for x, y in zip(va, vb)) / len(va):14.4f}" for vb in cols.values()))
    c = Counter(zip(ours, mv))
    print(f"mathdistill x math-verify counts: both correct {c[True, True]}, both wrong {c[False, False]}, "
          f"only mathdistill {c[True, False]}, only math-verify {c[False, True]}")
    if args.dump and sub:
        rows = []
        for (r, g, t), o, m, h in zip(sub, ours, mv, hd):
            if o != m:
                gr = grade(r, g)
                rows.append({"teacher": t, "gold": g, "pred": gr.pred, "rule": gr.rule, "ours": o, "math_verify": m,
                             "hendrycks": h, "response_tail": r[-400:]})
        Path(args.dump).write_text("".join(json.dumps(x) + "\n" for x in rows), encoding="utf-8")
        print(f"wrote {len(rows)} mathdistill/math-verify disagreements to {args.dump}")

    if not args.skip_pool:
        pool_items = [(r, g) for r, g, _ in items[: args.pool_limit]]
        print(f"pool scaling on {len(pool_items)} items (machine has {os.cpu_count()} cores; "
              f"workers start and import inside the timing):")
        base = None
        for w in [0, *args.workers]:
            for f in (compare._equiv, normalize.normalize, numeric.parse_number, symbolic.to_sympy):
                f.cache_clear()
            t0 = time.perf_counter()
            c0 = resource.getrusage(resource.RUSAGE_CHILDREN)
            if w == 0:
                res = grade_many(pool_items, workers=1, timeout_s=5.0)
            else:
                with GradingPool(w, timeout_s=5.0) as pool:
                    res = pool.map(pool_items, chunksize=64)
            wall = time.perf_counter() - t0
            c1 = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu = (c1.ru_utime + c1.ru_stime) - (c0.ru_utime + c0.ru_stime)
            speed = len(pool_items) / wall
            label = "in-process" if w == 0 else f"pool workers={w}"
            if w == args.workers[0]:
                base = speed
            rel = f" ({speed / base:.2f}x of pool workers={args.workers[0]})" if base else ""
            busy = f", worker CPU {cpu:.1f}s over {wall:.1f}s wall = {cpu / wall:.2f} cores busy" if w else ""
            print(f"  {label:18s}: {speed:6.0f} items/s{rel}, timeouts {sum(x.error == 'timeout' for x in res)}"
                  f"{busy}")


def change_log(args, items, grades, order) -> None:
    """Verdicts that changed against an earlier grader's --verdicts-out file (same data, load order)."""
    base = [json.loads(x) for x in Path(args.verdicts_base).read_text(encoding="utf-8").splitlines()]
    if len(base) != len(items) or len(items) != len(order):
        raise SystemExit(f"--verdicts-base has {len(base)} verdicts, this run {len(items)}: use the full data, no --limit")
    changed, flips = [], Counter()
    for k, ((r, g, t), new) in enumerate(zip(items, grades)):
        old = base[order[k]]
        if old[0] != new.correct or old[1] != new.pred:
            if old[0] != new.correct:
                flips["to_correct" if new.correct else "to_wrong"] += 1
            changed.append({"teacher": t, "gold": g, "old": old, "new": [new.correct, new.pred, new.rule, new.error],
                            "response_tail": r[-500:]})
    rules = Counter((c["old"][2], c["new"][2]) for c in changed if c["old"][0] != c["new"][0])
    print(f"change log vs {args.verdicts_base}: {flips['to_correct'] + flips['to_wrong']} verdicts changed "
          f"({flips['to_correct']} became correct, {flips['to_wrong']} became wrong), {len(changed)} preds changed; "
          f"flips by (old rule, new rule) {dict(rules.most_common())}")
    if args.changes:
        Path(args.changes).write_text("".join(json.dumps(c, ensure_ascii=False) + "\n" for c in changed),
                                      encoding="utf-8")
        print(f"wrote the {len(changed)} changes to {args.changes}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data-dir", default=os.environ.get("MATHDISTILL_DATA", str(REPO.parent / "shared" / "data")))
    ap.add_argument("--limit", type=int, default=0, help="teacher samples for mathdistill (0 = all 120k)")
    ap.add_argument("--mv-limit", type=int, default=3000, help="samples graded by all three graders")
    ap.add_argument("--pool-limit", type=int, default=30000)
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--skip-pool", action="store_true")
    ap.add_argument("--skip-cases", action="store_true")
    ap.add_argument("--skip-heldout", action="store_true")
    ap.add_argument("--skip-v2", action="store_true")
    ap.add_argument("--skip-teacher", action="store_true")
    ap.add_argument("--verdicts-out", default="", help="write mathdistill's verdicts on the teacher samples (JSONL)")
    ap.add_argument("--verdicts-base", default="", help="an earlier --verdicts-out file: print the change log")
    ap.add_argument("--changes", default="", help="with --verdicts-base: write every changed verdict/pred here")
    ap.add_argument("--dump", default="", help="write mathdistill/math-verify disagreements here (JSONL)")
    args = ap.parse_args()
    if importlib.util.find_spec("math_verify") is None:
        raise SystemExit("benchmarks/grading.py compares with math-verify: pip install -e '.[bench]'")
    logging.disable(logging.WARNING)  # math-verify logs every parse failure
    print(f"grader {GRADER_VERSION}; load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores "
          "(other jobs share the machine)")
    if not args.skip_cases:
        bench_cases()
    if not args.skip_heldout:
        bench_cases("cases_heldout.py", "(c) held-out categories")
    if not args.skip_v2:
        bench_cases("cases_v2.py", "(d) Grading 2.0 categories")
    if not args.skip_teacher:
        bench_teacher(args)


if __name__ == "__main__":
    main()
