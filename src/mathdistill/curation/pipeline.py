"""`curate`: graded samples dir -> positives, negatives, DARS selection, TRL-format sets.

Order of operations (all per problem, samples in (problem_id, sample_idx) order):
1. decontaminate: drop problems too close to chosen benchmark test sets;
2. positives = correct and not truncated (and under max_chars); exact / whitespace dedup;
   optional RFT equation-signature dedup; then the DARS cap (all / uniform / prop2diff),
   so the cap counts distinct paths; the reference solution, if asked, is added on top;
3. negatives = incorrect, flagged `truncated` / `no_answer`; those flags drop them by
   default (methods.md 4.2-4.3); exact dedup; optional cap;
4. write the formats, stats.json, plots, README.md card and config.yaml.
"""

from __future__ import annotations

import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from mathdistill.curation import dedup, formats, select
from mathdistill.curation.config import CurateConfig
from mathdistill.curation.reader import CurationInput, is_no_answer, is_truncated, load_samples_dir
from mathdistill.io.atomic import write_json_atomic
from mathdistill.io.jsonl import write_jsonl
from mathdistill.records import Problem, Sample
from mathdistill.store.samples import read_fail_rates

Grouped = dict[str, list[Sample]]


def _group(samples: list[Sample]) -> Grouped:
    g: Grouped = defaultdict(list)
    for s in sorted(samples, key=select.sort_key):
        g[s.problem_id].append(s)
    return dict(g)


def _fits(s: Sample, problems: dict[str, Problem], max_chars: int | None) -> bool:
    return max_chars is None or len(problems[s.problem_id].question + "\n" + s.response) < max_chars


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


def build_positives(
    by: Grouped, cfg: CurateConfig, problems: dict[str, Problem], fail: dict
) -> tuple[Grouped, dict]:
    counts = {
        "correct": 0,
        "correct_truncated": 0,
        "too_long": 0,
        "dup_exact": 0,
        "rft_invalid": 0,
        "rft_same_signature": 0,
        "rft_replaced": 0,
        "over_cap": 0,
        "reference": 0,
    }
    cand: Grouped = {}
    for pid, lst in by.items():
        ok = [s for s in lst if s.correct]
        counts["correct"] += len(ok)
        counts["correct_truncated"] += sum(is_truncated(s) for s in ok)
        ok = [s for s in ok if not is_truncated(s)]
        fit = [s for s in ok if _fits(s, problems, cfg.max_chars)]
        counts["too_long"] += len(ok) - len(fit)
        kept, nd = dedup.dedup_exact(fit, key=lambda s: (s.problem_id, s.response))
        counts["dup_exact"] += nd
        if cfg.dedup == "rft":
            kept, c = dedup.rft_select(kept, lambda s: s.response, check_equations=cfg.rft_check_equations)
            for k, v in c.items():
                counts["rft_" + k] += v
        cand[pid] = kept
    k_max = cfg.k_max
    if cfg.select == "prop2diff" and k_max is None:
        k_max = select.solve_k_max(fail, {p: len(v) for p, v in cand.items()}, cfg.budget or 0)
    counts["k_max"] = k_max
    caps = select.targets(cfg.select, cand, k_correct=cfg.k_correct, k_max=k_max, fail_rates=fail)
    out = select.apply_caps(cand, caps)
    counts["over_cap"] = sum(len(cand[p]) - len(out[p]) for p in cand)
    if cfg.include_reference:
        for pid in out:
            ref = _reference(problems[pid])
            if ref is not None and all(
                dedup.normalize_ws(ref.response) != dedup.normalize_ws(s.response) for s in out[pid]
            ):
                out[pid].insert(0, ref)
                counts["reference"] += 1
    counts["kept"] = sum(len(v) for v in out.values())
    return {p: v for p, v in out.items() if v}, {"targets": caps, **counts}


def build_negatives(by: Grouped, cfg: CurateConfig, problems: dict[str, Problem]) -> tuple[Grouped, dict]:
    counts = {
        "incorrect": 0,
        "truncated": 0,
        "no_answer": 0,
        "dropped_truncated": 0,
        "dropped_no_answer": 0,
        "too_long": 0,
        "dup_exact": 0,
        "over_cap": 0,
    }
    out: Grouped = {}
    for pid, lst in by.items():
        bad = [s for s in lst if not s.correct]
        counts["incorrect"] += len(bad)
        keep = []
        for s in bad:
            tr, na = is_truncated(s), is_no_answer(s)
            counts["truncated"] += tr
            counts["no_answer"] += na
            if tr and cfg.drop_truncated:
                counts["dropped_truncated"] += 1
            elif na and cfg.drop_no_answer:
                counts["dropped_no_answer"] += 1
            elif not _fits(s, problems, cfg.max_chars):
                counts["too_long"] += 1
            else:
                keep.append(s)
        keep, nd = dedup.dedup_exact(keep, key=lambda s: (s.problem_id, s.response))
        counts["dup_exact"] += nd
        if cfg.max_negatives_per_problem is not None:
            counts["over_cap"] += max(0, len(keep) - cfg.max_negatives_per_problem)
            keep = keep[: cfg.max_negatives_per_problem]
        if keep:
            out[pid] = keep
    counts["kept"] = sum(len(v) for v in out.values())
    return out, counts


def _fail_rates(cfg: CurateConfig, sd: CurationInput, samples: list[Sample]) -> dict:
    if cfg.fail_rate_from == "samples":
        return select.fail_rates_from_samples(samples)
    if cfg.fail_rate_from == "stats":
        return read_fail_rates(sd.dir.stats_file)
    return read_fail_rates(cfg.fail_rate_from)


def _negative_row(s: Sample) -> dict[str, Any]:
    return {**s.to_dict(), "truncated": is_truncated(s), "no_answer": is_no_answer(s)}


def curate(samples_dir: str | Path, out_dir: str | Path, cfg: CurateConfig, *, progress: bool = True) -> dict:
    """Run the whole curation; return stats.json's content."""
    from mathdistill.config import save_resolved
    from mathdistill.curation import card, stats_plots
    from mathdistill.curation.decontam import contaminated, load_benchmarks
    from mathdistill.data.prompts import make_prompter

    t0 = time.perf_counter()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    sd = load_samples_dir(
        samples_dir, problems_source=cfg.problems, problems_split=cfg.problems_split, data_dir=cfg.data_dir
    )
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
    pos, pos_counts = build_positives(by, cfg, sd.problems, fail)
    neg, neg_counts = build_negatives(by, cfg, sd.problems)

    write_jsonl(out / "positives.jsonl", (s for pid in sorted(pos) for s in pos[pid]))
    write_jsonl(out / "negatives.jsonl", (_negative_row(s) for pid in sorted(neg) for s in neg[pid]))
    r = formats.Renderer(prompter, sd.problems)
    # Reference solutions are written in another style than the samples: a pair or KTO set
    # of "reference vs teacher sample" would teach style, so they only go to SFT and ranker.
    pos_s = {p: [s for s in v if s.rule != "reference"] for p, v in pos.items()}
    pos_s = {p: v for p, v in pos_s.items() if v}
    written = {"positives.jsonl": pos_counts["kept"], "negatives.jsonl": neg_counts["kept"]}
    makers = {
        "sft": ("sft.jsonl", lambda: formats.sft_rows(pos, r)),
        "messages": ("sft_messages.jsonl", lambda: formats.messages_rows(pos, r)),
        # Negatives in the same two layouts, for LoRA-neg / MIX / NT / UL (mathdistill train --method neg ...).
        "neg_sft": ("neg_sft.jsonl", lambda: formats.sft_rows(neg, r)),
        "neg_messages": ("neg_messages.jsonl", lambda: formats.messages_rows(neg, r)),
        "pairs": (
            "pairs.jsonl",
            lambda: formats.pair_rows(pos_s, neg, r, cfg.pairing, cfg.max_pairs_per_problem),
        ),
        "kto": ("kto.jsonl", lambda: formats.kto_rows(pos_s, neg, r)),
        "ranker": ("ranker.jsonl", lambda: formats.ranker_rows(pos, neg, sd.problems)),
    }
    for f in cfg.formats:
        name, make = makers[f]
        written[name] = write_jsonl(out / name, make())

    save_resolved(cfg, out)
    stats = stats_plots.compute_stats(sd, samples, by, pos, neg, fail, pos_counts, neg_counts, dropped, cfg)
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
