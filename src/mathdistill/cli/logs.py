"""The command line's one logging setup, and the quieting of third-party chatter.

mathdistill's INFO records are printed to stderr as bare lines (other levels with a prefix),
above any progress bar. Third-party loggers are held at WARNING, vLLM's at ERROR (its import-time
Triton, NUMA and deprecation warnings say nothing a user can act on); their progress bars,
deprecation warnings and the dicts transformers' Trainer prints at every logging step are
turned off too, and a vLLM engine's own console output (its worker processes write straight to the
terminal) goes to a log file. `--verbose` leaves all of them as the libraries set them.
"""

from __future__ import annotations

import importlib.abc
import importlib.util
import logging
import os
import sys
import warnings
from collections.abc import Callable
from types import ModuleType
from typing import Any

from mathdistill.io.redact import redact_text

THIRD_PARTY = ("vllm", "transformers", "torch", "datasets", "accelerate", "ray", "httpx", "urllib3",
               "huggingface_hub", "trl", "peft", "filelock")
_LEVELS = {"vllm": logging.ERROR}
# Read by the libraries when they are imported (and by vLLM's worker processes, which inherit them).
_QUIET_ENV = {
    "VLLM_LOGGING_LEVEL": "ERROR",
    "HF_HUB_DISABLE_PROGRESS_BARS": "1",  # transformers' "Loading weights" / "Writing model shards" bars
    "TRANSFORMERS_NO_ADVISORY_WARNINGS": "1",
}
_WARNING_MODULES = r"(vllm|transformers|torch|datasets|accelerate|ray|trl|peft|huggingface_hub)(\.|$)"


class _Handler(logging.Handler):
    """Writes to the current sys.stderr, through tqdm when a bar may be showing so it is not torn."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            msg = redact_text(self.format(record))  # a --base-url may carry user:password
            tqdm = sys.modules.get("tqdm")
            if tqdm is not None:
                tqdm.tqdm.write(msg, file=sys.stderr)
            else:
                sys.stderr.write(msg + "\n")
                sys.stderr.flush()
        except Exception:  # noqa: BLE001 -- as in logging's own handlers: report, never raise
            self.handleError(record)


class _Formatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        msg = super().format(record)
        ours = record.name == "mathdistill" or record.name.startswith("mathdistill.")
        if ours and record.levelno == logging.INFO:
            return msg
        return f"{record.levelname.lower()}: {msg}" if ours else f"{record.levelname.lower()}: {record.name}: {msg}"


def setup(verbose: bool = False, debug: bool = False) -> None:
    """Install the handler (replacing the one of an earlier call) and quiet third-party output."""
    root = logging.getLogger()
    for h in [h for h in root.handlers if isinstance(h, _Handler)]:
        root.removeHandler(h)
    handler = _Handler()
    handler.setFormatter(_Formatter("%(message)s"))
    root.addHandler(handler)
    root.setLevel(logging.INFO if verbose else logging.WARNING)
    logging.getLogger("mathdistill").setLevel(logging.DEBUG if debug else logging.INFO)
    for name in THIRD_PARTY:
        logging.getLogger(name).setLevel(logging.NOTSET if verbose else _LEVELS.get(name, logging.WARNING))
    if verbose:
        return
    for k, v in _QUIET_ENV.items():
        os.environ.setdefault(k, v)
    os.environ.setdefault("MATHDISTILL_QUIET_ENGINE", "1")  # sampling.backends.vllm_backend.QUIET_ENV
    for category in (DeprecationWarning, FutureWarning, UserWarning):
        warnings.filterwarnings("ignore", category=category, module=_WARNING_MODULES)
    if "transformers" in sys.modules:  # imported before the environment above could take effect
        sys.modules["transformers"].utils.logging.disable_progress_bar()
    after_import("transformers.trainer_callback", _quiet_trainer_logs)


def _quiet_trainer_logs(module: ModuleType) -> None:
    """Trainer prints every log dict ({'loss': ..., 'grad_norm': ...}) on the terminal, through its progress
    callback or, without a bar, its printer callback; the numbers are kept in trainer_state.json."""
    def on_log(self: Any, args: Any, state: Any, control: Any, logs: Any = None, **kwargs: Any) -> None:
        return None

    module.ProgressCallback.on_log = on_log
    module.PrinterCallback.on_log = on_log


class _AfterImport(importlib.abc.MetaPathFinder):
    """Runs `fn(module)` right after module `name` is imported, so a heavy module is not imported early."""

    def __init__(self, name: str, fn: Callable[[ModuleType], None]):
        self.name, self.fn = name, fn

    def find_spec(self, fullname: str, path: Any, target: Any = None) -> Any:
        if fullname != self.name:
            return None
        sys.meta_path.remove(self)
        spec = importlib.util.find_spec(fullname)
        if spec is None or spec.loader is None:
            return spec
        exec_module = spec.loader.exec_module

        def run(module: ModuleType) -> None:
            exec_module(module)
            self.fn(module)

        spec.loader.exec_module = run  # type: ignore[method-assign]
        return spec


def after_import(name: str, fn: Callable[[ModuleType], None]) -> None:
    if name in sys.modules:
        fn(sys.modules[name])
    elif not any(isinstance(f, _AfterImport) and f.name == name for f in sys.meta_path):
        sys.meta_path.insert(0, _AfterImport(name, fn))
