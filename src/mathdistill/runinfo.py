"""The reproducibility block written into every results file (run.json / results.json)."""

from __future__ import annotations

import datetime as _dt
import socket
import sys
from typing import Any

from mathdistill.io.redact import redact
from mathdistill.versions import library_versions


def run_metadata(*, config: Any = None, prompt: dict | None = None, sampling: dict | None = None,
                 seeds: Any = None, grader: str | None = None, extra: dict | None = None) -> dict[str, Any]:
    """Resolved config, prompt template, sampling params, seeds, grader and versions."""
    import dataclasses

    cfg = dataclasses.asdict(config) if dataclasses.is_dataclass(config) else config
    meta: dict[str, Any] = {
        "created": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        "command": " ".join(sys.argv),
        "host": socket.gethostname(),
        "config": cfg,
        "prompt": prompt,
        "sampling": sampling,
        "seeds": seeds,
        "grader": grader,
        "versions": {"python": sys.version.split()[0], **library_versions()},
    }
    if extra:
        meta.update(extra)
    return redact(meta)  # a --base-url may carry user:password
