"""The registered benchmarks: one `Benchmark` entry each (see `mathdistill.data.registry`).

Hub ids are the ones NeMo-Skills, lighteval and lm-eval use where they agree (docs/benchmarks.md
lists ids, sizes, licenses and grading). Converters are written by hand only where a field map
cannot say it: GSM8K's and MATH's ids, SVAMP's and ASDiv's original fields, GPQA's choices.
Local files keep each Hub dataset's own field names and types, one JSON object per line.
"""

from __future__ import annotations

import difflib
import hashlib
import random
import re
from collections.abc import Iterator
from typing import Any

from mathdistill.data.registry import (
    SOURCES,
    Benchmark,
    Fields,
    Hub,
    answer_text,
    convert_row,
    level_of,
    load_dataset,
    require_field,
)
from mathdistill.errors import DataError, MathdistillError
from mathdistill.grading.grader import reference_answer
from mathdistill.records import Problem

# --- hand-written converters ---------------------------------------------------------------


def _gsm8k(d: dict, where: str, i: int, split: str) -> Problem:
    sol = require_field(d, "answer", where, i)
    gold = reference_answer(sol)
    if not gold:
        raise DataError(where, i, "answer", "no '#### <answer>' marker in the solution")
    return Problem(id=f"gsm8k/{split}/{i - 1}", question=require_field(d, "question", where, i), answer=gold,
                   solution=sol, source="gsm8k")


# Known errata of the MATH release: the solution ends in an empty \boxed{}. Both are
# multiple-choice questions whose text shows the answer is "0" (no primes in the range).
MATH_ERRATA = {"train/number_theory/7115.json": "0", "train/number_theory/7117.json": "0"}


def _math(d: dict, where: str, i: int, split: str) -> Problem:
    sol = require_field(d, "solution", where, i)
    gold = reference_answer(sol) or MATH_ERRATA.get(d.get("unique_id", ""))
    if not gold:
        raise DataError(where, i, "solution", "no \\boxed{} answer in the solution")
    pid = d.get("unique_id") or f"math/{i - 1}"
    meta = {"subject": d.get("type") or d.get("subject"), "level": level_of(d.get("level"))}
    return Problem(id=pid, question=require_field(d, "problem", where, i), answer=gold, solution=sol,
                   source="math", meta=meta)


def _math500(d: dict, where: str, i: int, split: str) -> Problem:
    meta = {"subject": d.get("subject"), "level": level_of(d.get("level"))}
    return Problem(id=require_field(d, "unique_id", where, i), question=require_field(d, "problem", where, i),
                   answer=str(require_field(d, "answer", where, i)).strip(), solution=d.get("solution"),
                   source="math500", meta=meta)


def _svamp(d: dict, where: str, i: int, split: str) -> Problem:
    q = d.get("question") or (str(d.get("Body", "")).strip().rstrip(".") + ". " + str(d.get("Question", "")).strip())
    ans = d.get("answer", d.get("Answer"))
    if ans is None:
        raise DataError(where, i, "answer", "missing or empty")
    if isinstance(ans, float) and ans.is_integer():
        ans = int(ans)
    return Problem(id=f"svamp/{d.get('ID', i - 1)}", question=q, answer=str(ans), source="svamp",
                   meta={"subject": d.get("Type")})


def _asdiv(d: dict, where: str, i: int, split: str) -> Problem:
    q = d.get("question") or (str(d.get("body", d.get("Body", ""))).strip() + " " +
                              str(d.get("Question", d.get("question", ""))).strip())
    ans = d.get("answer")
    if ans is None and d.get("Answer") is not None:
        ans = re.sub(r"\s*\([^)]*\)", "", str(d["Answer"])).strip()
    if ans is None or not str(ans).strip():
        raise DataError(where, i, "answer", "missing or empty")
    return Problem(id=f"asdiv/{d.get('ID', i - 1)}", question=q, answer=str(ans), source="asdiv",
                   meta={"subject": d.get("Solution-Type"), "level": d.get("Grade")})


LETTERS = "ABCDEFGHIJ"
_GPQA_WRONG = ("Incorrect Answer 1", "Incorrect Answer 2", "Incorrect Answer 3")


def _gpqa_text(s: Any) -> str:
    """An option as GPQA's harnesses show it (lm-eval's preprocess): ' [title]' and [...] notes out."""
    t = str(s).strip().replace(" [title]", ". ")
    return re.sub(r"\[.*?\]", "", t).replace("  ", " ").strip()


def choice_order(pid: str, n: int, seed: int) -> list[int]:
    """The deterministic shuffle of `n` options of problem `pid` under `seed` (index 0 = the correct one)."""
    h = hashlib.blake2b(f"{seed}:{pid}".encode(), digest_size=8).digest()
    order = list(range(n))
    random.Random(int.from_bytes(h, "little")).shuffle(order)
    return order


def _gpqa(d: dict, where: str, i: int, split: str, *, seed: int = 0) -> Problem:
    question = str(require_field(d, "Question", where, i)).strip()
    options = [_gpqa_text(require_field(d, "Correct Answer", where, i))]
    options += [_gpqa_text(require_field(d, k, where, i)) for k in _GPQA_WRONG]
    pid = f"gpqa_diamond/{d['Record ID']}" if d.get("Record ID") else f"gpqa_diamond/{i - 1}"
    order = choice_order(pid, len(options), seed)
    choices = [options[j] for j in order]
    letter = LETTERS[order.index(0)]
    shown = "\n".join(f"{LETTERS[k]}) {c}" for k, c in enumerate(choices))
    meta = {"subject": d.get("Subdomain") or d.get("High-level domain"), "domain": d.get("High-level domain"),
            "choices": choices, "choice_seed": seed, "gold_text": options[0]}
    return Problem(id=pid, question=f"{question}\n\n{shown}", answer=letter, solution=d.get("Explanation"),
                   source="gpqa_diamond", meta=meta)


def _theoremqa(d: dict, where: str, i: int, split: str) -> Problem:
    q = str(require_field(d, "Question", where, i)).strip()
    raw = d.get("Answer")
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        raise DataError(where, i, "Answer", "missing or empty")
    ans = answer_text(raw)
    if isinstance(raw, list):  # a list answer stays a list: [3, 4], not "3, 4"
        ans = "[" + ", ".join(answer_text(x) for x in raw) + "]"
    pid = f"theoremqa/{d['id']}" if d.get("id") not in (None, "") else f"theoremqa/{i - 1}"
    meta = {"answer_type": d.get("Answer_type"), "picture": bool(d.get("Picture"))}
    return Problem(id=pid, question=q, answer=ans, source="theoremqa", meta=meta)


def _college_math(d: dict, where: str, i: int, split: str) -> Problem:
    p = convert_row(SOURCES["college_math"], d, where, i, split)
    if isinstance(p.subject, str):  # "college_math.algebra" -> "algebra", as DART-Math reports it
        p.meta["subject"] = p.subject.rsplit(".", 1)[-1]
    return p


# --- Hub readers that need more than one load_dataset call ---------------------------------

_MATH_SUBJECTS = ["algebra", "counting_and_probability", "geometry", "intermediate_algebra",
                  "number_theory", "prealgebra", "precalculus"]


def _hub_math(b: Benchmark, split: str) -> Iterator[dict]:
    for subj in _MATH_SUBJECTS:
        for j, row in enumerate(load_dataset("EleutherAI/hendrycks_math", subj, split=split)):
            yield {**row, "unique_id": f"{split}/{subj}/{j}.json"}


def _hub_svamp(b: Benchmark, split: str) -> Iterator[dict]:
    for s in ("train", "test"):
        yield from load_dataset("ChilleD/SVAMP", split=s)


def _olympiad_keep(d: dict) -> bool:
    """English, text-only, maths, open-ended rows (a local dump of every config may hold the rest)."""
    want = {"language": "English", "modality": "Text-only", "subject": "Math", "question_type": "Open-ended"}
    return all(d.get(k) in (None, v) for k, v in want.items()) and not any(d.get(f"image_{j}") for j in range(1, 6))


# --- generated sources ---------------------------------------------------------------------


def _arith(source: str, split: str, limit: int | None = None) -> list[Problem]:
    from mathdistill.data.arith import load

    return load(source, split, limit)


def _rg(source: str, split: str, limit: int | None = None) -> list[Problem]:
    from mathdistill.data.reasoning_gym import load

    return load(source, split, limit)


# --- the entries ---------------------------------------------------------------------------

_AIME = "integer 0-999: the extracted answer, numeric equivalence"
_MAA = "not stated (problems (c) MAA)"
_LONG = 32768  # what reasoning-model papers allow per answer on competition sets
_GSM_STYLE = {"exemplar_source": ("gsm8k", "train"), "default_template": "gsm8k"}

for _b in [
    # Today's sources: hand-written converters keep their ids and golds exactly.
    Benchmark(
        "gsm8k", "GSM8K", {"train": "gsm8k_train.jsonl", "test": "gsm8k_test.jsonl"}, "number", "MIT",
        Hub("openai/gsm8k", "main", {"train": "train", "test": "test"}), Fields("question", "answer"),
        gold="solution", convert=_gsm8k, size="train 7473 / test 1319", **_GSM_STYLE,
        graded="text after '####' in the reference; numeric equivalence",
        homepage="https://github.com/openai/grade-school-math"),
    Benchmark(
        "math", "MATH (Hendrycks et al.)", {"train": "math_train.jsonl", "test": "math_test.jsonl"}, "expression",
        "MIT", Hub("EleutherAI/hendrycks_math", None, {"train": "train", "test": "test"}),
        Fields("problem", "solution", id="unique_id", subject="type", level="level"), gold="solution",
        convert=_math, hub_rows=_hub_math, size="train 7500 / test 5000",
        graded="last \\boxed{} of the solution; symbolic equivalence", homepage="https://github.com/hendrycks/math"),
    Benchmark(
        "math500", "MATH-500", {"test": "math500_test.jsonl"}, "expression", "MIT",
        Hub("HuggingFaceH4/MATH-500", None, {"test": "test"}),
        Fields("problem", "answer", id="unique_id", solution="solution", subject="subject", level="level"),
        convert=_math500, n=4, size="test 500", graded="`answer` field; symbolic equivalence",
        homepage="https://github.com/openai/prm800k"),
    Benchmark(
        "svamp", "SVAMP", {"test": "svamp.jsonl"}, "number", "MIT", Hub("ChilleD/SVAMP", None, {"test": "train+test"}),
        Fields("question", "answer", id="ID", subject="Type"), convert=_svamp, hub_rows=_hub_svamp,
        size="test 1000", graded="`answer` (a number); numeric equivalence", **_GSM_STYLE,
        homepage="https://github.com/arkilpatel/SVAMP"),
    Benchmark(
        "asdiv", "ASDiv", {"test": "asdiv.jsonl"}, "number", "CC BY-NC 4.0",
        Hub("EleutherAI/asdiv", None, {"test": "validation"}),
        Fields("question", "answer", id="ID", subject="Solution-Type", level="Grade"), convert=_asdiv,
        size="test 2305", graded="`answer` with units removed; numeric equivalence", **_GSM_STYLE,
        homepage="https://github.com/chaochun/nlu-asdiv-dataset"),
    # Generated on the fly (mathdistill.data.arith): no files, no network.
    Benchmark(
        "arith", "arith (generated word problems)", {"train": "", "test": ""}, "number", "Apache-2.0 (ours)",
        convert=_gsm8k, gold="generated", exemplar_source=("arith", "train"), default_template="gsm8k",
        size="train 2000 / test 500 (options)", graded="exact integer recomputed from the parameters",
        generate=_arith),
    # Competition sets of today's reasoning-model papers.
    Benchmark(
        "aime24", "AIME 2024 (I and II)", {"test": "aime24.jsonl"}, "number", _MAA,
        Hub("HuggingFaceH4/aime_2024", None, {"test": "train"}),
        Fields("problem", "answer", id="id", solution="solution", meta=("url", "year")),
        n=64, max_new_tokens=_LONG, size="test 30", graded=_AIME,
        homepage="https://huggingface.co/datasets/HuggingFaceH4/aime_2024"),
    Benchmark(
        "aime25", "AIME 2025 (I and II)", {"test": "aime25.jsonl"}, "number", _MAA,
        Hub("yentinglin/aime_2025", None, {"test": "train"}),
        Fields("problem", "answer", id="id", solution="solution", meta=("url", "year")),
        n=64, max_new_tokens=_LONG, size="test 30", graded=_AIME,
        homepage="https://huggingface.co/datasets/yentinglin/aime_2025"),
    Benchmark(
        "amc23", "AMC 2023 (AMC 12A/12B, numeric answers)", {"test": "amc23.jsonl"}, "number", _MAA,
        Hub("math-ai/amc23", None, {"test": "test"}), Fields("question", "answer", id="id", meta=("url",)),
        n=16, max_new_tokens=_LONG, size="test 40", graded="a number (a float on the Hub); numeric equivalence",
        homepage="https://huggingface.co/datasets/math-ai/amc23"),
    Benchmark(
        "hmmt_feb25", "HMMT February 2025", {"test": "hmmt_feb25.jsonl"}, "expression", "CC BY-NC-SA 4.0",
        Hub("MathArena/hmmt_feb_2025", None, {"test": "train"}),
        Fields("problem", "answer", id="problem_idx", subject="problem_type"),
        n=64, max_new_tokens=_LONG, size="test 30", graded="LaTeX answer; symbolic equivalence",
        homepage="https://huggingface.co/datasets/MathArena/hmmt_feb_2025"),
    Benchmark(
        "minerva", "Minerva Math (MIT OCW problems)", {"test": "minerva_math.jsonl"}, "expression", "not stated",
        Hub("math-ai/minervamath", None, {"test": "test"}), Fields("question", "answer", id="id"),
        n=4, max_new_tokens=_LONG, size="test 272", graded="answer (often with units); symbolic / numeric equivalence",
        homepage="https://huggingface.co/datasets/math-ai/minervamath"),
    Benchmark(
        "olympiadbench", "OlympiadBench (English, text-only, maths, open-ended)",
        {"test": "olympiadbench_OE_TO_maths_en_COMP.jsonl"}, "expression", "Apache-2.0",
        Hub("Hothan/OlympiadBench", "OE_TO_maths_en_COMP", {"test": "train"}),
        Fields("question", "final_answer", id="id", solution="solution", subject="subfield", context="context",
               meta=("answer_type", "unit", "is_multiple_answer", "error")),
        keep=_olympiad_keep, n=4, max_new_tokens=_LONG, size="test 674",
        graded="`final_answer` (several answers joined by ', '); symbolic equivalence",
        homepage="https://github.com/OpenBMB/OlympiadBench"),
    Benchmark(
        "gpqa_diamond", "GPQA-Diamond (graduate science, 4 options)", {"test": "gpqa_diamond.jsonl"}, "choice",
        "CC BY 4.0 (gated)", Hub("Idavidrein/gpqa", "gpqa_diamond", {"test": "train"}, gated=True),
        Fields("Question", "Correct Answer", id="Record ID", subject="Subdomain"), gold="choice", convert=_gpqa,
        n=8, max_new_tokens=_LONG, size="test 198",
        graded="options shuffled per seed (meta.choices); the letter, or the option's text",
        homepage="https://github.com/idavidrein/gpqa"),
    # DART-Math's out-of-domain sets (CollegeMath and DeepMind Mathematics have no Hub copy the harnesses use).
    Benchmark(
        "college_math", "CollegeMath (MWPBench)", {"test": "college_math_test.jsonl"}, "expression",
        "per row (`license`): CC BY 3.0 ... CC BY-NC-SA 4.0",
        fields=Fields("question", "answer", subject="data_topic", meta=("data_source", "question_number", "license")),
        convert=_college_math,
        size="test 2818", graded="LaTeX answer; symbolic equivalence",
        homepage="https://github.com/microsoft/unilm/tree/master/mathscale/MWPBench (data/full_test.json)"),
    Benchmark(
        "deepmind_math", "DeepMind Mathematics (DART-Math's 1000-problem test set)",
        {"test": "deepmind_mathematics.jsonl"}, "expression", "Apache-2.0", fields=Fields("question", "answer"),
        size="test 1000", graded="answer; symbolic equivalence",
        homepage="https://github.com/hkust-nlp/dart-math (data/eval-dsets/deepmind-mathematics.json)"),
    Benchmark(
        "theoremqa", "TheoremQA", {"test": "theoremqa.jsonl"}, "expression", "MIT",
        Hub("TIGER-Lab/TheoremQA", None, {"test": "test"}), Fields("Question", "Answer", id="id"),
        convert=_theoremqa, size="test 800", graded="number, bool, list or option; numeric / symbolic equivalence",
        homepage="https://github.com/TIGER-AI-Lab/TheoremQA"),
    # Procedural tasks (mathdistill.data.reasoning_gym): no files, no network.
    Benchmark(
        "rg", "reasoning-gym task (rg:<task>[:option=value...])", {"train": "", "test": ""}, "text",
        "Apache-2.0 (reasoning-gym)", gold="generated", exemplar_source=("rg", "train"), n=8,
        size="test 100 / train 200 (size=, train=)", graded="our grader; reasoning-gym's scorer for agreement",
        homepage="https://github.com/open-thought/reasoning-gym", generate=_rg),
]:
    SOURCES.add(_b)

# Suites: the sets a paper family reports. `SET` takes the set's usual n, `SET:N` says it.
SUITES: dict[str, list[str]] = {
    "reasoning": ["aime24", "aime25", "amc23", "hmmt_feb25", "math500", "minerva", "olympiadbench", "gpqa_diamond"],
    # DART-Math's in-domain (MATH, GSM8K) and out-of-domain sets; the paper reports one sample each.
    "dart": ["math:1", "gsm8k:1", "college_math:1", "deepmind_math:1", "olympiadbench:1", "theoremqa:1"],
}


def suite_specs(name: str) -> list[str]:
    """`--suite NAME` as data specs `SET:N`."""
    if name not in SUITES:
        close = difflib.get_close_matches(name, list(SUITES), n=2)
        hint = f"did you mean {', '.join(close)}? " if close else ""
        raise MathdistillError(f"unknown suite '{name}' ({hint}known: {', '.join(SUITES)})")
    return [s if ":" in s else f"{s}:{SOURCES[s].n}" for s in SUITES[name]]
