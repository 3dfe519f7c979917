"""Eval results to the experiment trackers users already run: `--report-to tensorboard|trackio|wandb`.

Training reaches them through transformers' integrations; an eval has no Trainer, so this sends the
headline numbers itself, once, after results.json is written: every metric of every dataset with its 95%
CI bounds, the spread across the n runs, truncation and token counts, plus the resolved config. All three
work offline: TensorBoard writes event files under the eval folder, trackio keeps a local SQLite database
(`TRACKIO_DIR`, default `$HF_HOME/trackio`), wandb honours `WANDB_MODE=offline`.
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
import logging
import math
from pathlib import Path
from typing import Any

from mathdistill._optional import require

log = logging.getLogger(__name__)

TRACKERS = ("none", "tensorboard", "trackio", "wandb")
PROJECT = "mathdistill"


def scalars(doc: dict[str, Any]) -> dict[str, float]:
    """`eval/<dataset>/<metric>` -> value for every number in results.json's metrics (CI bounds as
    `<metric>_ci_low` / `_ci_high`, the spread across runs as `runs_std`)."""
    out: dict[str, float] = {}
    for ds, m in (doc.get("metrics") or {}).items():
        for k, v in m.items():
            key = f"eval/{ds}/{k}"
            if isinstance(v, dict) and _num(v.get("value")):
                out[key] = float(v["value"])
                ci = v.get("ci")
                if isinstance(ci, (list, tuple)) and len(ci) == 2 and all(_num(x) for x in ci):
                    out[key + "_ci_low"], out[key + "_ci_high"] = float(ci[0]), float(ci[1])
            elif k == "runs" and isinstance(v, dict) and _num(v.get("std")):
                out[key + "_std"] = float(v["std"])
            elif _num(v):
                out[key] = float(v)
    return out


def _num(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(float(x))


def report(cfg: Any, doc: dict[str, Any], out: Path) -> dict[str, str]:
    """Send `doc`'s numbers to each tracker of `cfg.report_to`; returns tracker -> where it went."""
    wanted = [t for t in cfg.report_to if t != "none"]
    if not wanted:
        return {}
    values = scalars(doc)
    config = dataclasses.asdict(cfg)
    name = cfg.run_name or Path(out).resolve().name
    where: dict[str, str] = {}
    for t in wanted:
        where[t] = _SENDERS[t](values, config, name, Path(out))
        log.info("eval: results sent to %s (%s)", t, where[t])
    return where


def _tensorboard(values: dict[str, float], config: dict[str, Any], name: str, out: Path) -> str:
    require("tensorboard", "train")  # torch.utils.tensorboard writes through it
    from torch.utils.tensorboard import SummaryWriter

    import yaml

    logdir = out / "tensorboard"
    writer = SummaryWriter(log_dir=str(logdir))
    try:
        for k, v in values.items():
            writer.add_scalar(k, v, global_step=0)
        writer.add_text("config", "```yaml\n" + yaml.safe_dump(config, sort_keys=True) + "```", global_step=0)
    finally:
        writer.close()
    return str(logdir)


def _trackio(values: dict[str, float], config: dict[str, Any], name: str, out: Path) -> str:
    trackio = require("trackio", "trackers")
    said = io.StringIO()
    # trackio prints its banner and dashboard hints: the console is the CLI's, so they go to the debug log.
    with contextlib.redirect_stdout(said):
        trackio.init(project=PROJECT, name=name, config=config, embed=False, auto_log_cpu=False,
                     auto_log_gpu=False)
        try:
            trackio.log(values, step=0)
        finally:
            trackio.finish()
    log.debug("trackio: %s", said.getvalue().strip())
    return f"trackio project {PROJECT}, run {name} (`trackio show --project {PROJECT}`)"


def _wandb(values: dict[str, float], config: dict[str, Any], name: str, out: Path) -> str:
    wandb = require("wandb", "wandb")
    run = wandb.init(project=PROJECT, name=name, config=config, dir=str(out), reinit=True)
    try:
        run.log(values, step=0)
        run.summary.update(values)
    finally:
        run.finish()
    return f"wandb project {PROJECT}, run {name}"


_SENDERS = {"tensorboard": _tensorboard, "trackio": _trackio, "wandb": _wandb}
