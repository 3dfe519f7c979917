"""`mathdistill train --method ranker`: fit TDG's ranker on curated positive/negative groups.

Each step takes `per_device_train_batch_size` questions and one seeded (positive, negative)
draw per question; loss (1 - s+)^gamma + (s-)^gamma. After every epoch the pairwise accuracy
on held-out questions is measured (all pairs, and one random pair per question as TDG), a checkpoint is written, and the best epoch is what ends up
in output_dir. Rerunning the same command resumes from the last epoch checkpoint, or returns
the summary of a finished run.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mathdistill.errors import ConfigError, MathdistillError
from mathdistill.io.atomic import write_json_atomic
from mathdistill.io.fingerprint import files_digests
from mathdistill.io.settings import settings_changes, settings_of
from mathdistill.ranker.data import read_groups, split_groups
from mathdistill.ranker.schedule import schedule, weight_decay
from mathdistill.ranker.validation import best_epoch


def train_key(cfg: Any) -> dict[str, Any]:
    """Settings that change the result: a checkpoint or finished run made with others is not reused.

    Stored in the manifest and every checkpoint under these names (batch_size, gamma, ...), which
    earlier runs already wrote."""
    return settings_of(cfg, only=("model", "learning_rate", "num_train_epochs", "max_steps", "seed",
                                  "max_grad_norm"),
                       batch_size=cfg.per_device_train_batch_size, weight_decay=weight_decay(cfg),
                       gamma=cfg.ranker.gamma, val_questions=cfg.ranker.val_questions,
                       max_length=cfg.ranker.max_length, val_metric=cfg.ranker.val_metric)


def same_data(old: Any, new: dict[str, str]) -> bool:
    """Same file contents (the paths may be spelled differently, e.g. relative vs absolute)."""
    return isinstance(old, dict) and sorted(old.values()) == sorted(new.values())


def _changed(old: Any, key: dict[str, Any], old_fp: Any, fp: dict[str, str]) -> str:
    """What differs, for the error (empty when nothing can be named)."""
    what = settings_changes(old, key) if isinstance(old, dict) else []
    if not same_data(old_fp, fp):
        what.append("data files' contents")
    return f" ({'; '.join(what)})" if what else ""


def train_ranker(cfg: Any, progress: bool = True) -> dict[str, Any]:
    from mathdistill.models.manifest import MANIFEST, read_manifest
    from mathdistill.ranker import checkpoint as ck
    from mathdistill.ranker import resolve_encoder

    if not cfg.data:
        raise ConfigError("--method ranker needs --data GROUPS.jsonl (curation's ranker groups)")
    groups, skipped = read_groups(cfg.data)  # validates every line before any model is loaded
    fp, key = files_digests(cfg.data), train_key(cfg)
    out = Path(cfg.output_dir)
    done = read_manifest(out)
    if done and done.get("status") == "complete":
        if done.get("train_key") == key and same_data(done.get("data_fingerprint"), fp):
            return {**done, "skipped": True}
        raise ConfigError(f"{out} holds a finished ranker trained with other settings or data"
                          f"{_changed(done.get('train_key'), key, done.get('data_fingerprint'), fp)}; "
                          "use a new --output-dir")
    train, val = split_groups(groups, cfg.ranker.val_questions, cfg.seed)
    spe, total, n_epochs = schedule(len(train), cfg)
    encoder = resolve_encoder(cfg.model)
    out.mkdir(parents=True, exist_ok=True)
    summary: dict[str, Any] = {
        "status": "running", "method": "ranker", "encoder": cfg.model, "encoder_resolved": encoder,
        "train_key": key, "data_fingerprint": fp, "n_groups": len(groups), "n_skipped_groups": skipped,
        "n_train_questions": len(train), "n_val_questions": len(val), "steps_per_epoch": spe,
        "total_steps": total, "num_epochs": n_epochs, "weight_decay": weight_decay(cfg),
    }
    resume = _resume_point(out, cfg, key, fp)
    from mathdistill.ranker.loop import run_epochs

    epochs = run_epochs(cfg, out, encoder, train, val, resume, summary, progress=progress)
    best = best_epoch(epochs, cfg.ranker.val_metric)
    best_ckpt = dict(ck.list_checkpoints(out)).get(best)
    if best_ckpt is None:
        raise MathdistillError(f"{out}: checkpoint of best epoch {best} is missing; rerun with "
                               "--resume-from-checkpoint none")
    ck.install_model(best_ckpt, out)
    from mathdistill.runinfo import run_metadata

    summary.update({
        "status": "complete", "epochs": epochs, "best_epoch": best,
        "best_val_pairwise_accuracy": epochs[best - 1]["val_pairwise_accuracy"],
        "best_val_random_pair_accuracy": epochs[best - 1].get("val_random_pair_accuracy"),
        "val_pairwise_accuracy": [e["val_pairwise_accuracy"] for e in epochs],
        "val_random_pair_accuracy": [e.get("val_random_pair_accuracy") for e in epochs],
        "train_loss": epochs[-1]["train_loss"], "steps": sum(e["steps"] for e in epochs),
        "run_metadata": run_metadata(config=cfg, seeds={"seed": cfg.seed}, extra={"method": "ranker"}),
    })
    write_json_atomic(out / MANIFEST, summary)
    ck.clear_checkpoints(out)
    return summary


def _resume_point(out: Path, cfg: Any, key: dict, fp: dict) -> Path | None:
    """The checkpoint to continue from (None: start fresh), following cfg.resume_from_checkpoint."""
    from mathdistill.ranker import checkpoint as ck

    how = cfg.resume_from_checkpoint
    if how is not None and str(how).lower() == "none":
        ck.clear_checkpoints(out)
        return None
    if how not in (None, "auto"):
        p = Path(how)
        if not (p / ck.STATE_FILE).is_file():
            raise ConfigError(f"--resume-from-checkpoint {p}: not a ranker checkpoint (no {ck.STATE_FILE})")
        return p
    found = ck.list_checkpoints(out)
    ckpt = found[-1][1] if found else None
    mid = ck.step_checkpoint(out)
    done = sum(e["steps"] for e in ck.read_state(ckpt)["epochs"]) if ckpt else 0
    if mid is not None and mid[0] > done:  # killed mid-epoch after a step checkpoint
        ckpt = mid[1]
    if ckpt is None:
        return None
    st = ck.read_state(ckpt)
    if st.get("train_key") != key or not same_data(st.get("data_fingerprint"), fp):
        raise ConfigError(f"{ckpt} was written with other settings or data"
                          f"{_changed(st.get('train_key'), key, st.get('data_fingerprint'), fp)}; use a new "
                          "--output-dir or --resume-from-checkpoint none")
    return ckpt
