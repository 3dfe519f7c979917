"""README.md dataset card for a curated set: counts, resolved config, how to load it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

_DESCRIPTIONS = {
    "positives.jsonl": "correct samples after dedup and selection (Sample records; reference solutions, "
    "if included, have sample_idx -1 and teacher `reference`)",
    "negatives.jsonl": "incorrect samples (Sample records + `truncated`, `no_answer` flags)",
    "sft.jsonl": "SFT prompt-completion: `prompt`, `completion`",
    "sft_messages.jsonl": "SFT conversational: `messages`",
    "pairs.jsonl": "preference pairs of one problem: `prompt`, `chosen`, `rejected`",
    "kto.jsonl": "unpaired preference: `prompt`, `completion`, `label`",
    "ranker.jsonl": "ranker groups: `question`, `positives`, `negatives`",
}


def _table(rows: list[tuple[Any, ...]], head: tuple[str, ...]) -> str:
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(lines)


def _longcot_rows(stats: dict[str, Any]) -> list[tuple[str, Any]]:
    """Counts of the long-trace rules: a row where its rule is on or it removed something, so a
    short chain-of-thought card reads as before."""
    pos, neg, sel = stats["positives"], stats["negatives"], stats["selection"]
    filt = sel.get("filters") or {}
    rows: list[tuple[str, Any]] = []

    def row(label: str, on: Any, key: str) -> None:
        if on is not None or pos.get(key) or neg.get(key):
            rows.append((label, f"{pos.get(key, 0)} / {neg.get(key, 0)}"))

    if sel.get("unverified") or pos.get("unverified"):
        rows.append(("complete traces admitted without a correct answer (unverified) / kept",
                     f"{pos.get('unverified', 0)} / {pos.get('kept_unverified', 0)}"))
    if pos.get("correct_truncated"):
        rows.append(("correct but truncated (never positives)", pos["correct_truncated"]))
    row("over the length cap (positives / negatives)", filt.get("max_trace_tokens"), "over_max_length")
    row("length outliers vs the problem's median (positives / negatives)", filt.get("max_length_ratio"),
        "length_outlier")
    row("repetition loops (positives / negatives)", filt.get("loop_repeats"), "repetition_loop")
    if sel.get("dedup") == "minhash" or pos.get("dup_minhash"):
        rows.append(("MinHash near-duplicates dropped", pos.get("dup_minhash", 0)))
    if sel.get("token_budget") is not None or pos.get("over_token_budget"):
        rows.append((f"over the per-problem length budget ({sel.get('token_budget')})",
                     pos.get("over_token_budget", 0)))
    return rows


def _fmt(d: dict[str, Any] | None) -> tuple[Any, ...]:
    return ("–",) * 5 if not d else (d["n"], d["mean"], d["median"], d["p90"], d["max"])


def _lengths_section(stats: dict[str, Any]) -> str:
    """Token lengths, when the samples record them: overall, by verdict and kept set, then the
    spread of per-problem medians and the truncations."""
    tl = stats.get("token_lengths") or {}
    ov = tl.get("overall") or {}
    if not (ov.get("all") or {}).get("tokens"):
        return ""
    names = ("all", "correct", "incorrect", "truncated", "positives", "negatives")
    head = ("samples", "n", "mean", "median", "p90", "max")
    parts = ["## Lengths (tokens)\n",
             _table([(n, *_fmt(ov[n]["tokens"])) for n in names if n in ov], head)]
    if (ov["all"] or {}).get("reasoning_tokens"):
        parts += ["\nReasoning tokens:\n",
                  _table([(n, *_fmt(ov[n]["reasoning_tokens"])) for n in names if n in ov], head)]
    med, tr = tl.get("per_problem_median"), tl.get("truncated") or {}
    if med:
        parts.append(f"\nPer-problem median tokens over {med['n']} problems: median {med['median']}, p90 "
                     f"{med['p90']}, max {med['max']} (each problem's row in stats.json `per_problem`).\n")
    parts.append(f"Truncated samples: {tr.get('samples', 0)} (rate {tr.get('rate')}; reasoning never closed: "
                 f"{tr.get('unclosed_reasoning', 0)}, cut by length or abort: {tr.get('length_or_abort', 0)}).\n")
    lu = stats["selection"].get("length_unit")
    if lu:
        parts.append(f"Length rules count `{lu}`.\n")
    return "\n".join(parts) + "\n"


def render_card(stats: dict[str, Any], config_yaml: str) -> str:
    files = stats.get("files", {})
    data_files = {Path(f).stem: f for f in files}
    pos, neg, pr = stats["positives"], stats["negatives"], stats["problems"]
    sel = stats["selection"]
    tpl = (stats.get("prompt") or {}).get("template", {})
    parts = [
        # Hub `configs`: one per file, because the files have different columns.
        "---\nlicense: other\ntags: [math, reasoning, distillation, mathdistill]\nconfigs:\n"
        + "".join(f"- config_name: {name}\n  data_files: {f}\n" for name, f in data_files.items())
        + "---\n",
        "# Curated math-reasoning training set\n",
        (
            f"Built by `mathdistill curate` from `{stats['input']['samples_dir']}` "
            f"({stats['input']['samples']} graded samples of {stats['input']['problems']} problems; "
            f"teachers: {', '.join(t or '?' for t in stats['input']['teachers'])}; grader "
            f"`{stats['input'].get('grader')}`).\n"
        ),
        "## Files\n",
        _table(
            [(f"`{f}`", n, _DESCRIPTIONS.get(f, "")) for f, n in files.items()], ("file", "rows", "content")
        ),
        "\n## Counts\n",
        _table(
            [
                ("problems", pr["total"]),
                ("problems with 0 correct", pr["zero_correct"]),
                ("problems with all samples correct", pr["all_correct"]),
                ("problems with >= 1 positive kept", pr["with_positives"]),
                ("correct samples", pos["correct"]),
                ("exact/whitespace duplicates dropped", pos["dup_exact"]),
                (
                    "RFT same-signature / invalid-equation drops",
                    f"{pos['rft_same_signature']} / {pos['rft_invalid']}",
                ),
                ("dropped by the selection cap", pos["over_cap"]),
                *_longcot_rows(stats),
                ("positives kept", pos["kept"]),
                ("incorrect samples", neg["incorrect"]),
                ("of which no answer extracted / truncated", f"{neg['no_answer']} / {neg['truncated']}"),
                ("of which answered only by a weak extraction rule", neg.get("weak_answer", 0)),
                ("negatives kept", neg["kept"]),
                ("problems dropped by decontamination", stats["decontamination"]["dropped_problems"]),
                (
                    "repeated (problem_id, sample_idx) lines skipped / with another sample",
                    (f"{stats['input'].get('duplicate_keys_skipped', 0)} / "
                     f"{stats['input'].get('duplicate_keys_conflicting', 0)}"),
                ),
            ],
            ("", "count"),
        ),
        "".join(f"- `{r}`\n" for r in stats["input"].get("duplicate_keys_first", [])),
        (
            f"\nSelection: `{sel['rule']}` (k_correct={sel['k_correct']}, k_max={sel['k_max']}, fail rates from "
            f"`{sel['fail_rate_from']}`), dedup `{sel['dedup']}`.\n"
        ),
        (
            f"Prompt template: `{tpl.get('name')}`, question-only (no few-shot). Plain prompt: "
            f"`{(tpl.get('plain') or '')!r}`; chat user turn: `{(tpl.get('user') or '')!r}`.\n"
        ),
        _lengths_section(stats),
        "## Per subject\n",
        _table(
            [
                (k, v["problems"], v["samples"], v["correct"], v["positives_kept"], v["negatives_kept"])
                for k, v in sorted(stats["by_subject"].items())
            ],
            ("subject", "problems", "samples", "correct", "positives kept", "negatives kept"),
        ),
        "\n## Per difficulty (fail rate)\n",
        _table(
            [
                (k, v["problems"], v["samples"], v["correct"], v["positives_kept"])
                for k, v in stats["by_fail_rate"].items()
            ],
            ("fail rate", "problems", "samples", "correct", "positives kept"),
        ),
        "\n",
    ]
    parts += [f"![{p}]({p})\n" for p in stats.get("plots", [])]
    parts += [
        "\n## Load\n",
        (
            "Each file has its own columns, so load them one by one (from this folder, or from the Hub "
            'repo with `load_dataset(REPO, "<name>", split="train")`):\n\n'
            "```python\nfrom datasets import load_dataset\n\n"
            + "".join(
                f'{name} = load_dataset("json", data_files="{f}", split="train")\n'
                for name, f in data_files.items()
            )
            + "```\n"
        ),
        "\n## Resolved config\n",
        f"```yaml\n{config_yaml.rstrip()}\n```\n",
    ]
    return "\n".join(parts)


def write_card(out: Path, stats: dict[str, Any], cfg: Any) -> Path:
    cfg_text = (out / "config.yaml").read_text() if (out / "config.yaml").exists() else ""
    p = out / "README.md"
    p.write_text(render_card(stats, cfg_text))
    return p
