"""`arith`: seeded grade-school arithmetic word problems with exact integer answers.

A toy source for fast CPU experiments (the demo): small numbers, natural sentences, a
difficulty knob in the name. `arith` means 1-2 reasoning steps; `arith:steps=1`,
`arith:steps=2-3`; more options are ':'-separated (not ',', which separates sources on the
command line): `arith:steps=1:seed=3:train=4000:test=1000`.

Each step is one arithmetic operation: a product start ("3 bags with 4 apples each"),
an add / subtract event, or a final equal share (division). The worked solution has one
line per step and ends in GSM8K's `#### N`, so exemplars become "The answer is N." and
eval counts the steps as difficulty. Problem.meta holds `steps` and the `params` the
answer is computed from (so tests can recompute it).

Splits are disjoint by construction: a problem's split is a pure function of a hash of its
question text, so no seed, size or steps setting can put one question in both splits.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass

from mathdistill.errors import MathdistillError
from mathdistill.records import Problem

NAME = "arith"
TEST_PERCENT = 20  # share of question hashes that belong to the test split

NAMES = [("Tom", "he", "him"), ("Anna", "she", "her"), ("Ben", "he", "him"), ("Maria", "she", "her"),
         ("Sam", "he", "him"), ("Lily", "she", "her"), ("Omar", "he", "him"), ("Chen", "he", "him"),
         ("Sofia", "she", "her"), ("Jack", "he", "him"), ("Emma", "she", "her"), ("Ravi", "he", "him"),
         ("Nora", "she", "her"), ("Leo", "he", "him"), ("Mia", "she", "her"), ("Kofi", "he", "him")]
ITEMS = ["apples", "pencils", "marbles", "stickers", "cookies", "books", "stamps", "shells", "cards",
         "balloons", "oranges", "toy cars", "crayons", "beads", "coins"]
CONTAINERS = ["bags", "boxes", "jars", "packs", "baskets"]
ADD = ["{He} buys {n} more.", "{Friend} gives {him} {n} more.", "{He} finds {n} more.",
       "{He} gets {n} more from {Friend}."]
SUB = ["{He} gives {n} to {Friend}.", "{He} loses {n}.", "{He} sells {n}.", "{He} gives {n} away."]


@dataclass(frozen=True)
class ArithSpec:
    """What a source name like `arith:steps=1-2:seed=0` asks for."""

    min_steps: int = 1
    max_steps: int = 2
    seed: int = 0
    train: int = 2000
    test: int = 500

    @property
    def name(self) -> str:
        return NAME if self == ArithSpec() else f"{NAME}:steps={self.min_steps}-{self.max_steps}"


def is_arith(source: str) -> bool:
    return source == NAME or source.startswith(NAME + ":")


def parse(source: str) -> ArithSpec:
    """`arith[:key=value]...` -> ArithSpec; keys: steps (K or A-B), seed, train, test."""
    if not is_arith(source):
        raise MathdistillError(f"'{source}' is not an arith source name")
    kw: dict[str, int] = {}
    for part in source.split(":")[1:]:
        key, eq, val = part.partition("=")
        try:
            if not eq:
                raise ValueError
            if key == "steps":
                lo, _, hi = val.partition("-")
                kw["min_steps"], kw["max_steps"] = int(lo), int(hi or lo)
            elif key in ("seed", "train", "test"):
                kw[key] = int(val)
            else:
                raise KeyError(key)
        except KeyError:
            raise MathdistillError(f"data source '{source}': unknown option '{key}' "
                                   "(known: steps, seed, train, test)") from None
        except ValueError:
            raise MathdistillError(f"data source '{source}': '{part}' must look like steps=1, steps=1-3, "
                                   "seed=N, train=N or test=N") from None
    spec = ArithSpec(**kw)
    if not 1 <= spec.min_steps <= spec.max_steps <= 8:
        raise MathdistillError(f"data source '{source}': steps must satisfy 1 <= min <= max <= 8")
    if spec.train < 0 or spec.test < 0:
        raise MathdistillError(f"data source '{source}': train/test sizes must be >= 0")
    return spec


def split_of(question: str) -> str:
    h = int.from_bytes(hashlib.blake2b(question.encode(), digest_size=8).digest(), "little")
    return "test" if h % 100 < TEST_PERCENT else "train"


def compute(params: dict) -> int:
    """The answer from the parameters alone (what the text describes)."""
    start = params["start"]
    v = start[0] * start[1] if len(start) == 2 else start[0]
    for op, n in params["ops"]:
        v = {"add": v + n, "sub": v - n, "div": v // n}[op]
    return v


def _fill(t: str, who: tuple[str, str, str], friend: str, n: int) -> str:
    _, he, him = who
    return t.format(He=he.capitalize(), he=he, him=him, Friend=friend, n=n)


def make_problem(rng: random.Random, steps: int) -> tuple[str, str, dict]:
    """One problem with exactly `steps` operations: (question, solution, params)."""
    who = rng.choice(NAMES)
    name, he, _ = who
    friend = rng.choice([n for n, _, _ in NAMES if n != name])
    item = rng.choice(ITEMS)
    # Which operations: an optional product start, add/sub events, an optional final share.
    product = steps >= 1 and rng.random() < 0.25
    share = steps - product >= 1 and rng.random() < 0.2
    n_events = steps - product - share
    lines, sol = [], []
    if product:
        a, b = rng.randint(2, 6), rng.randint(2, 9)
        box = rng.choice(CONTAINERS)
        start, v = [a, b], a * b
        lines.append(f"{name} has {a} {box} with {b} {item} in each.")
        sol.append(f"{name} has {a} * {b} = {v} {item}.")
    else:
        v = rng.randint(2, 20)
        start = [v]
        lines.append(f"{name} has {v} {item}.")
    ops: list[list] = []
    for i in range(n_events):
        if v > 1 and rng.random() < 0.45:
            n = rng.randint(1, min(v - 1, 15))
            t = rng.choice(SUB)
            ops.append(["sub", n])
            sol.append(f"{_fill(t, who, friend, n)[:-1]}, so {he} has {v} - {n} = {v - n} {item}.")
            v -= n
        else:
            n = rng.randint(1, 15)
            t = rng.choice(ADD)
            ops.append(["add", n])
            sol.append(f"{_fill(t, who, friend, n)[:-1]}, so {he} has {v} + {n} = {v + n} {item}.")
            v += n
        lines.append(("Then " if i else "") + _event_text(_fill(t, who, friend, n), bool(i)))
    if share:
        divisors = [d for d in range(2, 7) if v % d == 0 and v // d >= 2]
        if not divisors:  # no exact share possible: draw again (the rng has moved on, so this ends)
            return make_problem(rng, steps)
        d = rng.choice(divisors)
        ops.append(["div", d])
        lines.append(f"{'Then ' + he if ops else he.capitalize()} shares them equally among {d} friends. "
                     f"How many {item} does each friend get?")
        sol.append(f"Each friend gets {v} / {d} = {v // d} {item}.")
        v //= d
    else:
        lines.append(f"How many {item} does {name} have {'in total' if not ops else 'now'}?")
    params = {"start": start, "ops": ops}
    return " ".join(lines), "\n".join(sol) + f"\n#### {v}", params


def _event_text(s: str, lower: bool) -> str:
    return s[0].lower() + s[1:] if lower and not s.startswith(tuple(n for n, _, _ in NAMES)) else s


def generate(spec: ArithSpec, split: str, limit: int | None = None) -> list[Problem]:
    """The first `spec.train` / `spec.test` distinct problems of the seeded stream that hash
    into `split` (the first `limit` of them when given: the same prefix, drawn without the rest).
    Deterministic in (seed, steps); the two splits never share a question."""
    if split not in ("train", "test"):
        raise MathdistillError(f"source 'arith' has no split '{split}' (splits: train, test)")
    want = spec.train if split == "train" else spec.test
    if limit is not None:
        want = min(want, max(0, limit))
    out: list[Problem] = []
    seen: set[str] = set()
    i = 0
    while len(out) < want:
        if i > 200 * (want + 10):  # only possible for tiny problem spaces
            raise MathdistillError(f"{spec.name}: could not draw {want} distinct {split} problems")
        rng = random.Random(f"{spec.seed}:{spec.min_steps}-{spec.max_steps}:{i}")
        i += 1
        steps = rng.randint(spec.min_steps, spec.max_steps)
        q, sol, params = make_problem(rng, steps)
        if q in seen or split_of(q) != split:
            continue
        seen.add(q)
        pid = f"arith/{split}/" + hashlib.blake2b(q.encode(), digest_size=6).hexdigest()
        out.append(Problem(id=pid, question=q, answer=str(compute(params)), solution=sol, source=NAME,
                           meta={"steps": steps, "params": params}))
    return out


def load(source: str, split: str, limit: int | None = None) -> list[Problem]:
    return generate(parse(source), split, limit)
