"""`curate`: graded samples dir -> positives, negatives, DARS selection, TRL-format sets.

Order of operations (all per problem, samples in (problem_id, sample_idx) order; a reasoning
sample's text is its reasoning and its answer):
1. decontaminate: drop problems too close to chosen benchmark test sets;
2. positives = correct (with `unverified`: every complete trace) and not truncated (and under
   max_chars); the length and loop filters (`filters.TraceFilter`); exact / whitespace dedup
   (unless `dedup: none`, as DART keeps duplicates); optional RFT equation-signature or
   MinHash near-duplicate dedup; then the DARS cap (all / uniform / prop2diff, on the
   sampler's own difficulty estimate when stats.jsonl records one), so the cap counts
   distinct paths, and the per-problem length budget; the reference solution, if asked, is
   added on top. With `prefer: shortest` (or a budget) dedup and caps see a problem's paths
   shortest first;
3. negatives = incorrect, flagged `truncated` / `no_answer` (a wrong answer that only a weak
   extraction rule found counts as no answer); those flags drop them by default
   (methods.md 4.2-4.3); the length and loop filters; exact dedup; optional cap;
4. write the formats, stats.json, plots, README.md card and config.yaml.

The output folder is locked while curate writes it, and the files an earlier curation wrote
there are removed first, so a rerun with other options never leaves stale files beside the
new ones. Writing into the samples folder itself (or any folder holding samples.jsonl) is
refused.
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mathdistill.curation import dedup, formats, minhash, select
from mathdistill.curation.config import FORMAT_FILES, CurateConfig
from mathdistill.curation.filters import REASONS, TraceFilter
from mathdistill.curation.lengths import LengthMeter, full_text, resolve_unit
from mathdistill.curation.reader import (
    CurationInput,
    is_no_answer,
    is_truncated,
    is_weak_guess,
    load_samples_dir,
)
from mathdistill.errors import MathdistillError
from mathdistill.io.atomic import write_json_atomic
from mathdistill.io.jsonl import write_jsonl
from mathdistill.io.lock import output_lock
from mathdistill.records import Problem, Sample
from mathdistill.store.samples import CONFIG, SAMPLES, read_fail_rates

log = logging.getLogger(__name__)

Grouped = dict[str, list[Sample]]
# Every file curate writes (besides the formats' files and the plots): removed before a rerun.
OUTPUTS = ("positives.jsonl", "negatives.jsonl", "stats.json", "README.md", CONFIG)
SHOWN_REPEATS = 5  # repeated sample keys named in the log and stats.json


def _group(samples: list[Sample]) -> Grouped:
    g: Grouped = defaultdict(list)
    for s in sorted(samples, key=select.sort_key):
        g[s.problem_id].append(s)
    return dict(g)


def _fits(s: Sample, problems: dict[str, Problem], max_chars: int | None) -> bool:
    return max_chars is None or len(problems[s.problem_id].question + "\n" + full_text(s)) < max_chars


def _reference(p: Problem) -> Sample | None:
    if not p.solution:
        return None
    return Sample(
        problem_id=p.id,
        sample_idx=-1,
        prompt=p.question,
        response=p.solution,
        teacher="reference",
        answer=p.answer,
        pred=p.answer,
        correct=True,
        rule="reference",
        meta=dict(p.meta),
    )


@dataclass
class LengthRules:
    """The length side of one curation: the unit, and the per-sample filters (shared by positives
    and negatives, so each problem's median and each trace's loop check are computed once)."""

    length: LengthMeter
    trace: TraceFilter
    used: bool  # some rule measures length (else the unit is not reported)

    @classmethod
    def of(cls, cfg: CurateConfig, by: Grouped) -> LengthRules:
        used = (cfg.prefer == "shortest" or cfg.token_budget is not None or cfg.max_trace_tokens is not None
                or cfg.max_length_ratio is not None)
        meter = resolve_unit(cfg.length_unit, [s for v in by.values() for s in v], needed=used)
        return cls(meter, TraceFilter(meter, by, max_length=cfg.max_trace_tokens, max_ratio=cfg.max_length_ratio,
                                      loop_repeats=cfg.loop_repeats, loop_ngram=cfg.loop_ngram), used)


def _dedup_paths(kept: list[Sample], cfg: CurateConfig, counts: dict) -> list[Sample]:
    if cfg.dedup == "rft":
        kept, c = dedup.rft_select(kept, full_text, check_equations=cfg.rft_check_equations)
        for k, v in c.items():
            counts["rft_" + k] += v
    elif cfg.dedup == "minhash":
        kept, n = minhash.minhash_dedup(kept, full_text, threshold=cfg.minhash_threshold,
                                        num_perm=cfg.minhash_num_perm, ngram=cfg.minhash_ngram,
                                        seed=cfg.minhash_seed)
        counts["dup_minhash"] += n
    return kept


def build_positives(
    by: Grouped, cfg: CurateConfig, problems: dict[str, Problem], fail: dict, rules: LengthRules | None = None
) -> tuple[Grouped, dict]:
    rules = rules or LengthRules.of(cfg, by)
    shortest = cfg.prefer == "shortest" or cfg.token_budget is not None
    counts = {
        "correct": 0,
        "correct_truncated": 0,
        "unverified": 0,
        "too_long": 0,
        **{r: 0 for r in REASONS},
        "dup_exact": 0,
        "dup_minhash": 0,
        "rft_invalid": 0,
        "rft_same_signature": 0,
        "rft_replaced": 0,
        "over_cap": 0,
        "over_token_budget": 0,
        "reference": 0,
    }
    cand: Grouped = {}
    for pid, lst in by.items():
        ok = [s for s in lst if s.correct]
        counts["correct"] += len(ok)
        counts["correct_truncated"] += sum(is_truncated(s) for s in ok)
        if cfg.unverified:
            # Every complete trace, right or wrong: OpenThoughts3's "no answer filtering".
            extra = [s for s in lst if not s.correct and not is_truncated(s)]
            counts["unverified"] += len(extra)
            ok = sorted(ok + extra, key=select.sort_key)
        ok = [s for s in ok if not is_truncated(s)]
        fit = [s for s in ok if _fits(s, problems, cfg.max_chars)]
        counts["too_long"] += len(ok) - len(fit)
        fit = rules.trace.split(fit, counts)
        if shortest:
            fit = select.shortest_first(fit, rules.length)
        kept, nd = (fit, 0) if cfg.dedup == "none" else dedup.dedup_exact(fit, key=lambda s: (s.problem_id,
                                                                                             full_text(s)))
        counts["dup_exact"] += nd
        cand[pid] = _dedup_paths(kept, cfg, counts)
    k_max = cfg.k_max
    if cfg.select == "prop2diff" and k_max is None:
        k_max = select.solve_k_max(fail, {p: len(v) for p, v in cand.items()}, cfg.budget or 0)
    counts["k_max"] = k_max
    caps = select.targets(cfg.select, cand, k_correct=cfg.k_correct, k_max=k_max, fail_rates=fail)
    out = select.apply_caps(cand, caps)
    counts["over_cap"] = sum(len(cand[p]) - len(out[p]) for p in cand)
    if cfg.token_budget is not None:
        for pid, lst in out.items():
            out[pid] = select.within_budget(lst, rules.length, cfg.token_budget)
            counts["over_token_budget"] += len(lst) - len(out[pid])
    if shortest:  # the files list a problem's paths by sample_idx whatever picked them
        out = {p: sorted(v, key=select.sort_key) for p, v in out.items()}
    if cfg.include_reference:
        for pid in out:
            ref = _reference(problems[pid])
            # Under the same length limit as the samples (TDG's 1,600 characters).
            if ref is not None and _fits(ref, problems, cfg.max_chars) and all(
                dedup.normalize_ws(ref.response) != dedup.normalize_ws(full_text(s)) for s in out[pid]
            ):
                out[pid].insert(0, ref)
                counts["reference"] += 1
    counts["kept"] = sum(len(v) for v in out.values())
    counts["kept_unverified"] = sum(not s.correct for v in out.values() for s in v)
    return {p: v for p, v in out.items() if v}, {"targets": caps, **counts}


def build_negatives(
    by: Grouped, cfg: CurateConfig, problems: dict[str, Problem], rules: LengthRules | None = None
) -> tuple[Grouped, dict]:
    rules = rules or LengthRules.of(cfg, by)
    counts = {
        "incorrect": 0,
        "truncated": 0,
        "no_answer": 0,
        "weak_answer": 0,
        "dropped_truncated": 0,
        "dropped_no_answer": 0,
        "too_long": 0,
        **{r: 0 for r in REASONS},
        "dup_exact": 0,
        "over_cap": 0,
    }
    out: Grouped = {}
    for pid, lst in by.items():
        bad = [s for s in lst if not s.correct]
        counts["incorrect"] += len(bad)
        keep = []
        for s in bad:
            tr, na = is_truncated(s), is_no_answer(s, weak_as_failed=not cfg.weak_negatives)
            counts["truncated"] += tr
            counts["no_answer"] += na
            counts["weak_answer"] += not tr and is_weak_guess(s)
            if tr and cfg.drop_truncated:
                counts["dropped_truncated"] += 1
            elif na and cfg.drop_no_answer:
                counts["dropped_no_answer"] += 1
            elif not _fits(s, problems, cfg.max_chars):
                counts["too_long"] += 1
            else:
                keep.append(s)
        keep = rules.trace.split(keep, counts)
        keep, nd = dedup.dedup_exact(keep, key=lambda s: (s.problem_id, full_text(s)))
        counts["dup_exact"] += nd
        if cfg.max_negatives_per_problem is not None:
            counts["over_cap"] += max(0, len(keep) - cfg.max_negatives_per_problem)
            keep = keep[: cfg.max_negatives_per_problem]
        if keep:
            out[pid] = keep
    counts["kept"] = sum(len(v) for v in out.values())
    return out, counts


def _fail_rates(cfg: CurateConfig, sd: CurationInput, samples: list[Sample]) -> dict:
    if cfg.fail_rate_from == "auto":
        # The sampler's estimate (Prop2Diff's first pass, or the rates it was given) where it made
        # one: counting every sample of a problem sampled up to its target would give another one.
        rates = select.fail_rates_from_samples(samples)
        if sd.dir.stats_file.exists():
            rates.update(read_fail_rates(sd.dir.stats_file, recorded_only=True))
        return rates
    if cfg.fail_rate_from == "samples":
        return select.fail_rates_from_samples(samples)
    if cfg.fail_rate_from == "stats":
        return read_fail_rates(sd.dir.stats_file)
    return read_fail_rates(cfg.fail_rate_from)


def _negative_row(s: Sample, cfg: CurateConfig) -> dict[str, Any]:
    return {**s.to_dict(), "truncated": is_truncated(s),
            "no_answer": is_no_answer(s, weak_as_failed=not cfg.weak_negatives)}


def _check_out(samples_dir: Path, out: Path) -> None:
    if out.exists() and samples_dir.exists() and out.resolve() == samples_dir.resolve():
        raise MathdistillError(f"{out} is the samples folder being curated; write the curated set to another "
                               "folder (-o)")
    if (out / SAMPLES).exists():
        raise MathdistillError(f"{out} holds a samples folder ({SAMPLES}); write the curated set to another "
                               "folder (-o)")


def _clear_outputs(out: Path) -> None:
    """Remove what an earlier curation wrote here (a rerun with fewer formats or no plots would
    otherwise leave the old files beside the new ones); nothing else in the folder is touched."""
    from mathdistill.curation.stats_plots import PLOT_FILES

    for name in (*OUTPUTS, *FORMAT_FILES.values(), *PLOT_FILES):
        (out / name).unlink(missing_ok=True)


def _report_repeats(sd: CurationInput) -> dict[str, Any]:
    """Repeated (problem_id, sample_idx) lines: the first is kept; the conflicting ones are named."""
    rs = sorted(sd.repeats, key=lambda r: not r.conflicting)
    conflicting = sum(r.conflicting for r in rs)
    if rs:
        log.warning("%s: %d line(s) repeat an earlier (problem_id, sample_idx), %d with another sample; the "
                    "first line of each key is kept: %s%s", sd.dir.samples_file, len(rs), conflicting,
                    "; ".join(str(r) for r in rs[:SHOWN_REPEATS]), " ..." if len(rs) > SHOWN_REPEATS else "")
    return {"duplicate_keys_skipped": len(rs), "duplicate_keys_conflicting": conflicting,
            "duplicate_keys_first": [str(r) for r in rs[:SHOWN_REPEATS]]}


def curate(samples_dir: str | Path, out_dir: str | Path, cfg: CurateConfig, *, progress: bool = True) -> dict:
    """Run the whole curation; return stats.json's content."""
    t0 = time.perf_counter()
    out = Path(out_dir)
    _check_out(Path(samples_dir), out)
    sd = load_samples_dir(
        samples_dir, problems_source=cfg.problems, problems_split=cfg.problems_split, data_dir=cfg.data_dir
    )
    with output_lock(out, "curate"):
        return _curate_locked(sd, out, cfg, t0)


def _curate_locked(sd: CurationInput, out: Path, cfg: CurateConfig, t0: float) -> dict:
    from mathdistill.config import save_resolved
    from mathdistill.curation import card, stats_plots
    from mathdistill.curation.decontam import contaminated, load_benchmarks
    from mathdistill.data.prompts import make_prompter

    _clear_outputs(out)
    repeats = _report_repeats(sd)
    samples = sorted(sd.samples, key=select.sort_key)
    prompter = make_prompter(cfg.template, 0)  # question-only prompts: no few-shot data needed

    dropped: dict[str, dict] = {}
    if cfg.decontaminate:
        ids = {s.problem_id for s in samples}
        benches = load_benchmarks(cfg.decontaminate, cfg.ngram, cfg.data_dir)
        dropped = contaminated((sd.problems[i] for i in sorted(ids)), benches, cfg.ngram, cfg.threshold)
        samples = [s for s in samples if s.problem_id not in dropped]

    by = _group(samples)
    fail = _fail_rates(cfg, sd, samples)
    rules = LengthRules.of(cfg, by)
    pos, pos_counts = build_positives(by, cfg, sd.problems, fail, rules)
    neg, neg_counts = build_negatives(by, cfg, sd.problems, rules)

    write_jsonl(out / "positives.jsonl", (s for pid in sorted(pos) for s in pos[pid]))
    write_jsonl(out / "negatives.jsonl", (_negative_row(s, cfg) for pid in sorted(neg) for s in neg[pid]))
    r = formats.Renderer(prompter, sd.problems)
    # Reference solutions are written in another style than the samples: a pair or KTO set
    # of "reference vs teacher sample" would teach style, so they only go to SFT and ranker.
    pos_s = {p: [s for s in v if s.rule != "reference" and s.correct] for p, v in pos.items()}
    pos_s = {p: v for p, v in pos_s.items() if v}
    # `unverified` positives may be wrong: formats that label a path as the right one take the verified ones.
    pos_v = {p: v for p, v in ((p, [s for s in v if s.correct]) for p, v in pos.items()) if v}
    written = {"positives.jsonl": pos_counts["kept"], "negatives.jsonl": neg_counts["kept"]}
    makers = {
        "sft": lambda: formats.sft_rows(pos, r),
        "messages": lambda: formats.messages_rows(pos, r),
        # The same positives with their working as a reasoning trace: short chain of thought in the
        # layout of a thinking model, so one run compares the two (configs/run_longcot_arith.yaml).
        "think_messages": lambda: formats.messages_rows(formats.as_reasoning(pos), r),
        # Negatives in the same two layouts, for LoRA-neg / MIX / NT / UL (mathdistill train --method neg ...).
        "neg_sft": lambda: formats.sft_rows(neg, r),
        "neg_messages": lambda: formats.messages_rows(neg, r),
        "pairs": lambda: formats.pair_rows(pos_s, neg, r, cfg.pairing, cfg.max_pairs_per_problem),
        "kto": lambda: formats.kto_rows(pos_s, neg, r),
        "ranker": lambda: formats.ranker_rows(pos_v, neg, sd.problems),
    }
    for f in cfg.formats:
        name = FORMAT_FILES[f]
        written[name] = write_jsonl(out / name, makers[f]())

    save_resolved(cfg, out)
    stats = stats_plots.compute_stats(sd, samples, by, pos, neg, fail, pos_counts, neg_counts, dropped, cfg,
                                      length_unit=rules.length.unit if rules.used else None)
    stats["input"].update(repeats)
    stats["files"] = written
    stats["prompt"] = prompter.describe()
    stats["plots"] = stats_plots.plot_all(stats, out) if cfg.plots else []
    stats.pop("_lengths_raw", None)
    stats["run"] = _run_block(cfg, sd, prompter, time.perf_counter() - t0)
    write_json_atomic(out / "stats.json", stats, indent=2)
    card.write_card(out, stats, cfg)
    if cfg.push_to_hub:
        from mathdistill.curation.hub import push

        stats["pushed_to"] = push(out, cfg.push_to_hub, private=cfg.private, files=list(written))
    return stats


def _run_block(cfg: CurateConfig, sd: CurationInput, prompter: Any, seconds: float) -> dict:
    from mathdistill.runinfo import run_metadata

    try:
        from mathdistill.grading import GRADER_VERSION
    except ImportError:  # grading not installed: the input's grader is what matters
        GRADER_VERSION = None
    return run_metadata(
        config=cfg,
        prompt=prompter.describe(),
        sampling=sd.run.get("sampling"),
        seeds=sd.run.get("seeds"),
        grader=sd.run.get("grader") or GRADER_VERSION,
        extra={
            "stage": "curate",
            "input": str(sd.path),
            "seconds": round(seconds, 2),
            "current_grader": GRADER_VERSION,
        },
    )
