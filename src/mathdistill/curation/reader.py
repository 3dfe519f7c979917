"""A samples folder (`mathdistill.store`) loaded for curation: graded samples and their problems.

The sampler and the importers write the same layout. Question text, subject and level come
from, in order: the folder's problems.jsonl; a problem source given by the user
(`--problems math`, joined on problem_id); otherwise they are recovered from each sample's
prompt by matching the prompt templates of `mathdistill.data.prompts` (the last rendered
question in the prompt, so few-shot exemplars are skipped), and subject/level from the
sample's meta. A prompt that matches no template is used whole as the question.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mathdistill.errors import DataError
from mathdistill.grading.extract import WEAK_RULES
from mathdistill.records import Problem, Sample
from mathdistill.store.samples import PROBLEMS, Repeat, SamplesDir


@dataclass
class CurationInput:
    dir: SamplesDir
    samples: list[Sample]
    problems: dict[str, Problem]
    stats: dict[str, dict] = field(default_factory=dict)
    run: dict[str, Any] = field(default_factory=dict)
    question_from: str = PROBLEMS  # problems.jsonl | source:<name> | run.json | prompt
    repeats: list[Repeat] = field(default_factory=list)  # lines skipped for a key seen before

    @property
    def path(self) -> Path:
        return self.dir.path

    @property
    def duplicate_keys(self) -> int:
        return len(self.repeats)


def load_samples_dir(
    path: str | Path,
    *,
    problems_source: str | None = None,
    problems_split: str = "train",
    data_dir: str | None = None,
) -> CurationInput:
    sd = SamplesDir(path).require()
    samples, repeats = sd.read_graded()
    if not samples:  # else curate writes empty sets and a card as if it had worked
        raise DataError(sd.samples_file, None, None, "no samples to curate (an empty file?)")
    run = sd.read_run(strict=True)
    stats = sd.read_stats()
    problems = sd.read_problems()
    if problems is not None:
        how = PROBLEMS
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
            sd.samples_file,
            None,
            "problem_id",
            f"{len(missing)} problem id(s) have no problem text (from {how}), e.g. '{missing[0]}'",
        )
    return CurationInput(sd, samples, problems, stats, run, how, repeats)


def is_no_answer(s: Sample, *, weak_as_failed: bool = True) -> bool:
    """The grader found no final answer (not evidence of a wrong solution; methods.md 4.2). A wrong
    answer that only a weak rule found (`is_weak_guess`) counts as none unless `weak_as_failed`
    is off (docs/grading.md: treat weak answers like failed extractions when labelling negatives)."""
    if is_truncated(s):
        return False
    return s.pred is None or s.rule == "none" or (weak_as_failed and is_weak_guess(s))


def is_weak_guess(s: Sample) -> bool:
    """Wrong, with the answer read only by a weak rule (statement / last math / last number): a guess
    at where the answer is, so the sample may well hold a right solution the rule missed."""
    return not s.correct and s.rule in WEAK_RULES


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


@dataclass(frozen=True)
class _Template:
    """A prompt template split around its question: the text before and the (right-stripped) text after."""

    pre: str
    post: str

    def question(self, prompt: str) -> str | None:
        """The *last* rendered question in `prompt` (few-shot exemplars come first), or None.

        With a prefix: the last prefix that a suffix follows, and the text up to the first suffix
        after it; without one: the text before the last suffix. Only str.find/rfind, so linear
        in the prompt (a regex `.*PRE(.+?)POST` backtracks quadratically on a long prompt that
        repeats PRE)."""
        pre, post = self.pre, self.post
        if not pre:
            j = prompt.rfind(post, 1)
            return prompt[:j] if j > 0 else None
        if not post:
            i = prompt.rfind(pre)
            return prompt[i + len(pre):] or None if i >= 0 else None
        last_post = prompt.rfind(post)
        if last_post < len(pre) + 1:
            return None
        i = prompt.rfind(pre, 0, last_post - 1)  # leave at least one character of question
        if i < 0:
            return None
        start = i + len(pre)
        return prompt[start:prompt.find(post, start + 1)]


def _template_patterns(run: dict) -> list[_Template]:
    from mathdistill.data.prompts import TEMPLATES

    texts: list[str] = []
    tpl = ((run.get("prompt") or {}).get("template") or {}) if isinstance(run.get("prompt"), dict) else {}
    for key in ("user", "plain"):
        if isinstance(tpl.get(key), str):
            texts.append(tpl[key])
    for t in TEMPLATES.values():
        texts += [t.user, t.plain]
    out = []
    for t in texts:
        if "{question}" not in t:
            continue
        pre, post = t.split("{question}", 1)
        pre, post = pre.replace("{{", "{").replace("}}", "}"), post.replace("{{", "{").replace("}}", "}")
        if not pre.strip() and not post.strip():
            continue  # the "raw" template matches anything
        out.append(_Template(pre, post.rstrip()))
    return out


_CHAT_USER = re.compile(
    r"<\|im_start\|>user\n|<\|user\|>\n?|\[INST\]\s*|<\|start_header_id\|>user<\|end_header_id\|>\n\n"
)


def question_from_prompt(prompt: str, patterns: list[_Template]) -> str | None:
    for pat in patterns:
        q = pat.question(prompt)
        if q is not None:
            # A chat-rendered prompt: cut everything up to the last user-turn marker (earlier user
            # turns are few-shot exemplars).
            cut = 0
            for m in _CHAT_USER.finditer(q):
                cut = m.end()
            return q[cut:].strip()
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
