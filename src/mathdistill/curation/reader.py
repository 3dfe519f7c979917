"""Load a samples dir (samples.jsonl + stats.jsonl + run.json [+ problems.jsonl]).

The sampler and the importers write the same layout. Question text, subject and level come
from, in order: the dir's problems.jsonl; a problem source given by the user
(`--problems math`, joined on problem_id); otherwise they are recovered from each sample's
prompt by matching the prompt templates of `mathdistill.data.prompts` (the last rendered
question in the prompt, so few-shot exemplars are skipped), and subject/level from the
sample's meta. A prompt that matches no template is used whole as the question.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mathdistill.errors import DataError
from mathdistill.io.jsonl import read_jsonl, read_records
from mathdistill.records import Problem, RecordFieldError, Sample


@dataclass
class SamplesDir:
    path: Path
    samples: list[Sample]
    problems: dict[str, Problem]
    stats: dict[str, dict] = field(default_factory=dict)
    run: dict[str, Any] = field(default_factory=dict)
    question_from: str = "problems.jsonl"  # problems.jsonl | source:<name> | prompt
    duplicate_keys: int = 0


def read_samples(path: Path) -> tuple[list[Sample], int]:
    """Graded samples of a samples.jsonl; a repeated (problem_id, sample_idx) keeps the first."""
    out, seen, dups = [], set(), 0
    for lineno, d in read_jsonl(path, allow_torn_tail=True):
        try:
            s = Sample.from_dict(d)
        except RecordFieldError as e:
            raise DataError(path, lineno, e.field, str(e)) from None
        if s.correct is None:
            raise DataError(path, lineno, "correct", "sample is not graded (run the grader first)")
        if s.key in seen:
            dups += 1
            continue
        seen.add(s.key)
        out.append(s)
    return out, dups


def load_samples_dir(
    path: str | Path,
    *,
    problems_source: str | None = None,
    problems_split: str = "train",
    data_dir: str | None = None,
) -> SamplesDir:
    d = Path(path)
    sp = d / "samples.jsonl"
    if not d.is_dir() or not sp.exists():
        raise DataError(sp, None, None, "not a samples dir (no samples.jsonl)")
    samples, dups = read_samples(sp)
    run = {}
    if (d / "run.json").exists():
        try:
            run = json.loads((d / "run.json").read_text())
        except json.JSONDecodeError as e:
            raise DataError(d / "run.json", e.lineno, None, f"malformed JSON ({e.msg})") from None
    stats = {}
    if (d / "stats.jsonl").exists():
        for lineno, row in read_jsonl(d / "stats.jsonl", allow_torn_tail=True):
            if "problem_id" not in row:
                raise DataError(d / "stats.jsonl", lineno, "problem_id", "missing required field")
            stats[str(row["problem_id"])] = row
    if (d / "problems.jsonl").exists():
        problems = {p.id: p for p in read_records(d / "problems.jsonl", Problem)}
        how = "problems.jsonl"
    elif problems_source:
        from mathdistill.data.sources import load_problems

        problems = {p.id: p for p in load_problems(problems_source, problems_split, data_dir=data_dir)}
        how = f"source:{problems_source}"
    else:
        problems, how = _problems_from_run(run, data_dir), "run.json"
        if problems is None or not {s.problem_id for s in samples} <= set(problems):
            problems = problems_from_prompts(samples, run)
            how = "prompt"
    missing = sorted({s.problem_id for s in samples} - set(problems))
    if missing:
        raise DataError(
            sp,
            None,
            "problem_id",
            f"{len(missing)} problem id(s) have no problem text (from {how}), e.g. '{missing[0]}'",
        )
    return SamplesDir(d, samples, problems, stats, run, how, dups)


def is_no_answer(s: Sample) -> bool:
    """The grader found no final answer (not evidence of a wrong solution; methods.md 4.2)."""
    return not s.truncated and s.error != "truncated" and (s.pred is None or s.rule == "none")


def is_truncated(s: Sample) -> bool:
    return s.truncated or s.error == "truncated"


# ------------------------------------------------------------------ question recovery


def _problems_from_run(run: dict, data_dir: str | None) -> dict[str, Problem] | None:
    """The sampler's problems, reloaded from the source named in run.json (config.data/split)."""
    from mathdistill.data.sources import load_problems
    from mathdistill.errors import MathdistillError

    cfg = run.get("config") if isinstance(run.get("config"), dict) else {}
    if not isinstance(cfg.get("data"), str):
        return None
    fields = {k: cfg.get(k) for k in ("question_field", "answer_field", "id_field")}
    try:
        probs = load_problems(
            cfg["data"], str(cfg.get("split") or "train"), data_dir=data_dir or cfg.get("data_dir"), **fields
        )
    except (MathdistillError, OSError):
        return None  # source not reachable here: fall back to the prompts
    return {p.id: p for p in probs}


def _template_patterns(run: dict) -> list[re.Pattern]:
    from mathdistill.data.prompts import TEMPLATES

    texts: list[str] = []
    tpl = ((run.get("prompt") or {}).get("template") or {}) if isinstance(run.get("prompt"), dict) else {}
    for key in ("user", "plain"):
        if isinstance(tpl.get(key), str):
            texts.append(tpl[key])
    for t in TEMPLATES.values():
        texts += [t.user, t.plain]
    pats = []
    for t in texts:
        if "{question}" not in t:
            continue
        pre, post = t.split("{question}", 1)
        pre, post = pre.replace("{{", "{").replace("}}", "}"), post.replace("{{", "{").replace("}}", "}")
        if not pre.strip() and not post.strip():
            continue  # the "raw" template matches anything
        # The *last* rendered question is the one being asked (few-shot exemplars come first):
        # a greedy skip before the prefix, or a greedy question up to the last suffix.
        if pre:
            pats.append(
                re.compile(".*" + re.escape(pre) + r"(?P<q>.+?)" + re.escape(post.rstrip()), re.DOTALL)
            )
        else:
            pats.append(re.compile(r"(?P<q>.+)" + re.escape(post.rstrip()), re.DOTALL))
    return pats


_CHAT_USER = re.compile(
    r"(?:<\|im_start\|>user\n|<\|user\|>\n?|\[INST\]\s*|<\|start_header_id\|>user"
    r"<\|end_header_id\|>\n\n)(?P<q>.*)",
    re.DOTALL,
)


def question_from_prompt(prompt: str, patterns: list[re.Pattern]) -> str | None:
    for pat in patterns:
        m = pat.match(prompt)
        if m:
            q = m.group("q")
            # A chat-rendered prompt: cut everything up to the last user-turn marker.
            cm = None
            for cm in _CHAT_USER.finditer(q):
                pass
            return (cm.group("q") if cm else q).strip()
    return None


def problems_from_prompts(samples: list[Sample], run: dict) -> dict[str, Problem]:
    pats = _template_patterns(run)
    out: dict[str, Problem] = {}
    for s in samples:
        if s.problem_id in out:
            continue
        q = s.meta.get("question") if isinstance(s.meta.get("question"), str) else None
        q = q or question_from_prompt(s.prompt, pats) or s.prompt.strip()
        meta = {k: s.meta[k] for k in ("subject", "level") if k in s.meta}
        out[s.problem_id] = Problem(
            id=s.problem_id, question=q or s.problem_id, answer=s.answer or "", source="samples", meta=meta
        )
    return out
