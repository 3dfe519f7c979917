"""One self-contained HTML page comparing eval runs (+ training and curation folders).

Everything is inline: CSS, a few lines of JS for the sample browser filters, and figures as
base64 PNGs, so the file can be mailed or attached to an issue and opened anywhere.
"""

from __future__ import annotations

import datetime as _dt
import json
from collections import defaultdict
from collections.abc import Sequence
from html import escape
from typing import Any

from mathdistill.eval.aggregate import metric_order
from mathdistill.report import plots
from mathdistill.report.loaders import CurationRun, EvalRun, Run, TrainRun

CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0;color:#1d232a;background:#f6f7f9}
header{background:#243447;color:#fff;padding:18px 28px}header h1{margin:0 0 4px;font-size:22px}
header p{margin:0;opacity:.8;font-size:13px}nav{padding:8px 28px;background:#e8ecf1;font-size:13px}
nav a{margin-right:14px;color:#243447}main{padding:8px 28px 40px}section{background:#fff;border-radius:8px;
padding:14px 18px;margin:16px 0;box-shadow:0 1px 2px rgba(0,0,0,.08)}h2{margin:4px 0 10px;font-size:18px}
h3{font-size:15px;margin:14px 0 6px}table{border-collapse:collapse;font-size:13px;margin:6px 0}
th,td{border-bottom:1px solid #e3e6ea;padding:4px 8px;text-align:right;vertical-align:top}
th{background:#f0f2f5;position:sticky;top:0}td.l,th.l{text-align:left}.ci{color:#7a8591;font-size:11px}
.figs{display:flex;flex-wrap:wrap;gap:12px}.figs img{max-width:100%;border:1px solid #e3e6ea;border-radius:4px}
.muted{color:#7a8591;font-size:12px}.v-correct{color:#1a7f37;font-weight:600}.v-wrong{color:#c62828;font-weight:600}
.v-truncated,.v-no-answer{color:#b26a00;font-weight:600}details summary{cursor:pointer;color:#243447}
pre{white-space:pre-wrap;word-break:break-word;background:#f6f8fa;padding:6px;border-radius:4px;max-height:360px;
overflow:auto;font-size:12px;margin:4px 0}#samples td{text-align:left}#samples td.resp{max-width:640px}
.filters{display:flex;gap:10px;flex-wrap:wrap;align-items:center;font-size:13px;margin-bottom:8px}
.filters input{width:260px;padding:4px}.filters select{padding:3px}.best{background:#e6f4ea}
.scroll{overflow-x:auto;max-width:100%}#samples{table-layout:fixed;width:100%}
#samples td{word-break:break-word;overflow-wrap:anywhere}
"""

JS = """
function filt(){const q=document.getElementById('q').value.toLowerCase();
const r=document.getElementById('frun').value,d=document.getElementById('fds').value,
v=document.getElementById('fv').value,m=document.getElementById('fm').value;let n=0;
for(const tr of document.querySelectorAll('#samples tbody tr')){const ok=(!r||tr.dataset.run===r)&&
(!d||tr.dataset.ds===d)&&(!v||tr.dataset.v===v)&&(!m||tr.dataset.mode===m)&&
(!q||tr.textContent.toLowerCase().includes(q));tr.style.display=ok?'':'none';if(ok)n++;}
document.getElementById('nshown').textContent=n;}
"""


def _pct(v: dict | None) -> str:
    if not isinstance(v, dict) or v.get("value") is None:
        return "–"
    ci = v.get("ci") or [None, None]
    ci_s = f"<br><span class=ci>[{100 * ci[0]:.1f}, {100 * ci[1]:.1f}]</span>" if ci[0] is not None else ""
    return f"{100 * v['value']:.1f}{ci_s}"


def _table(head: Sequence[str], rows: Sequence[Sequence[str]], left: int = 1, cls: str = "") -> str:
    th = "".join(f"<th class=l>{h}</th>" if i < left else f"<th>{h}</th>" for i, h in enumerate(head))
    body = "".join("<tr>" + "".join(f"<td class=l>{c}</td>" if i < left else f"<td>{c}</td>"
                                    for i, c in enumerate(r)) + "</tr>" for r in rows)
    return f"<div class=scroll><table class='{cls}'><thead><tr>{th}</tr></thead><tbody>{body}</tbody></table></div>"


def _datasets(runs: Sequence[EvalRun]) -> list[str]:
    out: list[str] = []
    for r in runs:
        out += [d for d in r.results["metrics"] if d not in out]
    return out


def _headline_keys(m: dict[str, Any]) -> list[str]:
    n = m.get("n")
    keys = ["greedy", "mean@n", f"maj@{n}", f"pass@{n}"]
    keys += sorted(k for k in m if k.startswith("asc") and k.endswith(f"@{n}"))
    return [k for k in keys if isinstance(m.get(k), dict)]


def headline_metric(m: dict[str, Any]) -> str | None:
    """The number a suite table shows for one dataset: avg@n (mean@n) when there are n > 1 samples,
    else greedy, else what there is."""
    n = m.get("n") or 1
    for key in (("mean@n", "greedy") if n > 1 else ("greedy", "mean@n")) + (f"maj@{n}",):
        if isinstance(m.get(key), dict) and m[key].get("value") is not None:
            return key
    return None


def suite_section(runs: Sequence[EvalRun]) -> str:
    """Benchmarks x models in one table: each cell the dataset's headline with its 95% CI (and the
    standard deviation across the n runs for avg@n). Shown when there is more than one of either."""
    datasets = _datasets(runs)
    labels = list(dict.fromkeys(r.label for r in runs))
    if len(datasets) < 2 and len(labels) < 2:
        return ""
    rows = []
    for ds in datasets:
        row = [escape(ds)]
        for label in labels:
            m = next((r.results["metrics"].get(ds) for r in runs if r.label == label and ds in r.results["metrics"]),
                     None)
            key = headline_metric(m) if m else None
            if key is None:
                row.append("–")
                continue
            name = "avg@" + str(m.get("n")) if key == "mean@n" else key
            sd = (m.get("runs") or {}).get("std") if key == "mean@n" else None
            row.append(f"{_pct(m[key])}<br><span class=muted>{escape(name)}"
                       + (f", sd {100 * sd:.1f}" if isinstance(sd, (int, float)) else "") + "</span>")
        rows.append(row)
    return ("<section id=suite><h2>Benchmarks x models</h2><p class=muted>Accuracy in %, 95% CI below each "
            "value: avg@n (pass@1 averaged over n samples, with the standard deviation across the n runs) where "
            "n > 1, else greedy.</p>" + _table(["benchmark", *map(escape, labels)], rows) + "</section>")


def summary_section(runs: Sequence[EvalRun]) -> str:
    has_asc = any(k.startswith("asc@") for r in runs for m in r.results["metrics"].values() for k in m)
    cols = ["greedy", "mean@n", "maj@n", "pass@n"] + (["asc@n"] if has_asc else [])
    rows = []
    for run in runs:
        res = run.results
        for ds, m in res["metrics"].items():
            cfg = (res.get("run_metadata") or {}).get("config") or {}
            n = m.get("n")
            cells = [_pct(m.get(c.replace("@n", f"@{n}") if c != "mean@n" else c)) for c in cols]
            efr = m.get("extraction_failure_rate", m.get("greedy_extraction_failure_rate"))
            rows.append([escape(run.label), escape(ds), escape(str(res.get("model"))), escape(str(cfg.get("backend"))),
                         str(m.get("n_problems")), str(n if n is not None else "–"), *cells,
                         "–" if efr is None else f"{100 * efr:.1f}%",
                         escape(str((res.get("timing") or {}).get("total_s", "–")))])
    return ("<section id=summary><h2>Summary</h2><p class=muted>Accuracy in %, 95% CI below each value. "
            "maj@n / pass@n use all n samples per problem.</p>"
            + _table(["run", "dataset", "model", "backend", "problems", "n", *cols, "extract fail", "time (s)"],
                     rows, left=4) + "</section>")


def dataset_section(runs: Sequence[EvalRun], ds: str) -> str:
    figs = [plots.accuracy_vs_k(runs, ds), plots.accuracy_vs_difficulty(runs, ds),
            plots.breakdown_bars(runs, ds, "per_level"), plots.breakdown_bars(runs, ds, "per_subject")]
    imgs = "".join(f"<img src='{f}' alt='figure'>" for f in figs if f)
    have = [r for r in runs if ds in r.results["metrics"]]
    keys: list[str] = []
    cells: dict[str, list[str]] = {}
    for r in have:
        keys += [k for k, v in r.results["metrics"][ds].items() if isinstance(v, dict) and "value" in v and k not in keys]
    keys.sort(key=lambda k: (-1, "", 0) if k == "greedy" else metric_order(k))
    cols: list[str] = []
    for k in keys:
        vals = [r.results["metrics"][ds].get(k) for r in have]
        nums = [v["value"] for v in vals if isinstance(v, dict) and v.get("value") is not None]
        best = max(nums) if len(nums) > 1 else None
        cols.append(k)
        for r, v in zip(have, vals, strict=True):
            cell = _pct(v)
            r_cells = cells.setdefault(r.label, [])
            r_cells.append(f"<span class=best>{cell}</span>" if best is not None and isinstance(v, dict)
                           and v.get("value") == best else cell)
    for k in ("extraction_failure_rate", "truncation_rate", "ranker_coverage"):
        if any(k in r.results["metrics"][ds] for r in have):
            cols.append(k.replace("_", " ").replace("extraction failure", "extract fail"))
            for r in have:
                v = r.results["metrics"][ds].get(k)
                cells.setdefault(r.label, []).append("–" if v is None else f"{100 * v:.1f}%")
    for k in ("mean_response_tokens", "mean_reasoning_tokens"):  # long chain of thought: what answers cost
        if any(k in r.results["metrics"][ds] for r in have):
            cols.append(k.replace("mean_", "").replace("_", " ") + " (mean)")
            for r in have:
                v = r.results["metrics"][ds].get(k)
                cells.setdefault(r.label, []).append("–" if v is None else f"{v:.0f}")
    rows = [[escape(r.label), *cells.get(r.label, [])] for r in have]
    table = _table(["run (%)", *map(escape, cols)], rows)
    groups = ""
    for kind in ("per_level", "per_subject"):
        for r in have:
            br = r.results["metrics"][ds].get(kind)
            if not br:
                continue
            hk = _headline_keys(next(iter(br.values())))
            grows = [[escape(g), str(m.get("n_problems"))] + [_pct(m.get(k)) for k in hk] for g, m in br.items()]
            groups += (f"<details><summary>{escape(r.label)}: {kind.replace('_', ' ')}</summary>"
                       + _table([kind.removeprefix("per_"), "problems", *map(escape, hk)], grows) + "</details>")
    return (f"<section id='ds-{escape(ds)}'><h2>{escape(ds)}</h2><div class=figs>{imgs}</div>"
            f"<h3>All metrics</h3>{table}{groups}</section>")


def training_section(runs: Sequence[TrainRun]) -> str:
    if not runs:
        return ""
    fig = plots.loss_curves(runs)
    rows = []
    for r in runs:
        losses = [h["loss"] for h in r.log_history if "loss" in h]
        evals = [h["eval_loss"] for h in r.log_history if "eval_loss" in h]
        last = r.log_history[-1] if r.log_history else {}
        rows.append([escape(r.label), escape(str(r.state_file.relative_to(r.path))),
                     str(max((h.get("step", 0) for h in r.log_history), default=0)),
                     f"{last.get('epoch', '–')}", f"{losses[0]:.4f}" if losses else "–",
                     f"{losses[-1]:.4f}" if losses else "–", f"{min(evals):.4f}" if evals else "–"])
    img = f"<div class=figs><img src='{fig}' alt='loss curves'></div>" if fig else "<p class=muted>no loss logged</p>"
    return ("<section id=training><h2>Training</h2>" + img
            + _table(["run", "state file", "steps", "epoch", "first loss", "last loss", "best eval loss"], rows)
            + "</section>")


def _kv_rows(d: dict[str, Any], prefix: str = "") -> list[list[str]]:
    rows = []
    for k, v in d.items():
        if k.startswith("_") or k in ("per_problem", "dropped"):
            continue
        if isinstance(v, dict) and all(not isinstance(x, dict | list) for x in v.values()):
            rows.append([escape(prefix + k), escape(", ".join(f"{a}: {b}" for a, b in v.items()))])
        elif isinstance(v, dict):
            rows += _kv_rows(v, prefix + k + ".")
        elif not isinstance(v, list) or len(v) <= 12:
            rows.append([escape(prefix + k), escape(json.dumps(v) if isinstance(v, list) else str(v))])
    return rows


_CURATION_MAIN = ("input", "selection", "problems", "positives", "negatives", "decontamination", "lengths_chars",
                  "lengths_tokens")


def curation_section(runs: Sequence[CurationRun]) -> str:
    if not runs:
        return ""
    parts = ["<section id=curation><h2>Curated datasets</h2>"]
    for r in runs:
        st = r.stats
        parts.append(f"<h3>{escape(r.label)}</h3>")
        imgs = "".join(f"<img src='{plots.png_file_uri(p)}' alt='{escape(p.name)}'>" for p in r.pngs)
        if imgs:
            parts.append(f"<div class=figs>{imgs}</div>")
        main = {k: st[k] for k in _CURATION_MAIN if k in st}
        rest = {k: v for k, v in st.items() if k not in main and not k.startswith("by_") and k != "per_problem"}
        parts.append(_table(["stat", "value"], _kv_rows(main or rest), left=2))
        if main and rest:
            parts.append("<details><summary>more (run config, prompt, files)</summary>"
                         + _table(["stat", "value"], _kv_rows(rest), left=2) + "</details>")
        for k, v in st.items():
            if k.startswith("by_") and isinstance(v, dict) and v:
                cols = list(next(iter(v.values())).keys())
                parts.append(f"<details><summary>{escape(k.replace('_', ' '))}</summary>"
                             + _table([k.removeprefix("by_"), *map(escape, cols)],
                                      [[escape(g)] + [escape(str(row.get(c))) for c in cols] for g, row in v.items()])
                             + "</details>")
    return "".join(parts) + "</section>"


def _verdict(s: dict[str, Any]) -> str:
    if s.get("finish_reason") in ("length", "abort") or s.get("reasoning_closed") is False:
        return "truncated"
    if s.get("pred") is None:
        return "no-answer"
    return "correct" if s.get("correct") else "wrong"


def _reasoning(s: dict[str, Any]) -> str:
    """A reasoning model's trace, folded away above its answer."""
    r = s.get("reasoning")
    if not isinstance(r, str):
        return ""
    state = "never closed" if s.get("reasoning_closed") is False else "closed"
    tokens = f", {s['reasoning_tokens']} tokens" if isinstance(s.get("reasoning_tokens"), int) else ""
    return f"<details><summary>reasoning ({state}{tokens})</summary><pre>{escape(r)}</pre></details>"


def samples_section(runs: Sequence[EvalRun], max_rows: int) -> str:
    rows, ds_all, modes = [], set(), set()
    for run in runs:
        by_problem: dict[tuple, list[dict]] = defaultdict(list)
        for s in run.samples:
            by_problem[(s.get("meta", {}).get("dataset"), s["problem_id"])].append(s)
        budget = max_rows
        for (ds, pid), ss in by_problem.items():
            if budget <= 0:
                break
            budget -= len(ss)
            for s in sorted(ss, key=lambda s: (s.get("meta", {}).get("mode") != "greedy", s["sample_idx"])):
                meta, v = s.get("meta", {}), _verdict(s)
                ds_all.add(str(ds))
                modes.add(str(meta.get("mode")))
                q = meta.get("question") or ""
                rows.append(
                    f"<tr data-run='{escape(run.label)}' data-ds='{escape(str(ds))}' data-v='{v}' "
                    f"data-mode='{escape(str(meta.get('mode')))}'><td>{escape(run.label)}</td><td>{escape(str(ds))}</td>"
                    f"<td>{escape(pid)}<br><span class=muted>{escape(str(meta.get('mode')))} #{s['sample_idx']}"
                    f"</span></td><td>{escape(str(s.get('answer')))}</td><td>{escape(str(s.get('pred')))}"
                    f"<br><span class=muted>{escape(str(s.get('rule')))}</span></td><td class='v-{v}'>{v}</td>"
                    f"<td class=resp><details><summary>{escape(q[:90])}{'…' if len(q) > 90 else ''}</summary>"
                    f"<pre>{escape(q)}</pre></details>{_reasoning(s)}<pre>{escape(s.get('response', ''))}</pre>"
                    "</td></tr>")
    if not rows:
        return ""

    def sel(id_: str, label: str, opts: Sequence[str]) -> str:
        o = "".join(f"<option value='{escape(x)}'>{escape(x)}</option>" for x in opts)
        return f"<label>{label} <select id={id_} onchange=filt()><option value=''>all</option>{o}</select></label>"

    filters = ("<div class=filters><input id=q placeholder='search question, answer, response…' oninput=filt()>"
               + sel("frun", "run", [r.label for r in runs]) + sel("fds", "dataset", sorted(ds_all))
               + sel("fv", "verdict", ["correct", "wrong", "no-answer", "truncated"]) + sel("fm", "mode", sorted(modes))
               + f"<span class=muted><span id=nshown>{len(rows)}</span> shown</span></div>")
    widths = (("run", 10), ("dataset", 7), ("problem", 11), ("gold", 7), ("extracted", 9), ("verdict", 7),
              ("question / response", 49))
    head = "".join(f"<th class=l>{h}</th>" for h, _ in widths)
    cols = "<colgroup>" + "".join(f"<col style='width:{w}%'>" for _, w in widths) + "</colgroup>"
    return (f"<section id=samples-sec><h2>Sample responses</h2><p class=muted>Up to {max_rows} samples per run "
            f"(whole problems, in order).</p>{filters}<table id=samples>{cols}<thead><tr>{head}</tr></thead><tbody>"
            + "".join(rows) + "</tbody></table></section>")


def runs_section(runs: Sequence[EvalRun]) -> str:
    parts = ["<section id=runs><h2>Run details</h2>"]
    for r in runs:
        md = r.results.get("run_metadata") or {}
        brief = {k: md.get(k) for k in ("command", "created", "sampling", "seeds", "grader", "versions")}
        parts.append(f"<details><summary>{escape(r.label)} ({escape(str(r.path))})</summary>"
                     f"<pre>{escape(json.dumps(brief, indent=1))}</pre><details><summary>prompt templates</summary>"
                     f"<pre>{escape(json.dumps(md.get('prompt'), indent=1))}</pre></details>"
                     f"<details><summary>metric definitions</summary><pre>"
                     f"{escape(json.dumps(r.results.get('metric_definitions'), indent=1))}</pre></details></details>")
    return "".join(parts) + "</section>"


def build_html(runs: Sequence[Run], *, title: str = "mathdistill report", max_samples: int = 400) -> str:
    evals = [r for r in runs if isinstance(r, EvalRun)]
    trains = [r for r in runs if isinstance(r, TrainRun)]
    curs = [r for r in runs if isinstance(r, CurationRun)]
    datasets = _datasets(evals)
    nav = ([("summary", "Summary")] if evals else []) + [(f"ds-{d}", d) for d in datasets]
    nav += ([("training", "Training")] if trains else []) + ([("curation", "Curation")] if curs else [])
    nav += ([("samples-sec", "Samples"), ("runs", "Run details")] if evals else [])
    body = (suite_section(evals) + summary_section(evals) if evals else "") + "".join(dataset_section(evals, d) for d in datasets)
    body += training_section(trains) + curation_section(curs)
    if evals:
        body += samples_section(evals, max_samples) + runs_section(evals)
    now = _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    sub = f"{now} · " + ", ".join(f"{escape(r.label)} ({type(r).__name__.removesuffix('Run').lower()})" for r in runs)
    return (f"<!doctype html><html lang=en><head><meta charset=utf-8><title>{escape(title)}</title>"
            f"<meta name=viewport content='width=device-width,initial-scale=1'><style>{CSS}</style></head><body>"
            f"<header><h1>{escape(title)}</h1><p>{sub}</p></header><nav>"
            + "".join(f"<a href='#{escape(a)}'>{escape(b)}</a>" for a, b in nav)
            + f"</nav><main>{body}</main><script>{JS}</script></body></html>")
