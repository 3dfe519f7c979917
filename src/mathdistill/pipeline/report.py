"""report.html for a run: the `mathdistill report` page of its folders plus a before/after section."""

from __future__ import annotations

from html import escape
from pathlib import Path
from typing import Any

from mathdistill.io.atomic import write_text_atomic
from mathdistill.pipeline.plan import Stage


def before_after_section(doc: dict[str, Any]) -> str:
    def pct(v: dict | None) -> str:
        if not v or v.get("value") is None:
            return "–"
        ci = v.get("ci")
        return f"{100 * v['value']:.1f}" + (f" <small>[{100 * ci[0]:.1f}, {100 * ci[1]:.1f}]</small>" if ci else "")

    comps = {(c["label"], c["dataset"]): c for c in doc.get("comparisons", [])}
    rows = []
    for m in doc.get("models", []):
        for ds, v in m["datasets"].items():
            c = comps.get((m["label"], ds))
            if c and c.get("diff") is not None:
                diff = (f"{100 * c['diff']:+.1f} <small>[{100 * c['ci'][0]:+.1f}, {100 * c['ci'][1]:+.1f}]</small>"
                        f" p={c['p_value']:.3f}")
                sig = "<b>yes</b>" if c["significant"] else "no"
            else:
                diff = sig = "–"
            rows.append(f"<tr><td>{escape(m['label'])}</td><td>{m['round'] or '–'}</td><td>{escape(ds)}</td>"
                        f"<td>{pct(v)}</td><td>{diff}</td><td>{sig}</td></tr>")
    verdict = "".join(f"<li>{escape(line)}</li>" for line in doc.get("verdict", []))
    return ("<section id=before-after><h2>Before / after training</h2>"
            f"<p class=muted>{escape(doc.get('metric', ''))} accuracy in %, 95% CI in brackets. "
            f"Difference vs the base student: {escape(doc.get('test', ''))}.</p>"
            "<table><tr><th>model</th><th>round</th><th>dataset</th><th>accuracy</th><th>vs base (points)</th>"
            f"<th>significant</th></tr>{''.join(rows)}</table><ul>{verdict}</ul></section>")


def write_report(path: Path, stages: list[Stage], doc: dict[str, Any], title: str) -> None:
    from mathdistill.errors import MathdistillError
    from mathdistill.report.html import build_html
    from mathdistill.report.loaders import load_run

    taken: set[str] = set()
    runs = []
    for s in stages:
        try:
            runs.append(load_run(s.path, taken))
        except MathdistillError:  # e.g. a training folder without trainer_state.json (ranker)
            continue
    html = build_html(runs, title=title)
    html = html.replace("<main>", "<main>" + before_after_section(doc), 1)
    html = html.replace("<nav>", "<nav><a href='#before-after'>Before / after</a>", 1)
    write_text_atomic(path, html)
