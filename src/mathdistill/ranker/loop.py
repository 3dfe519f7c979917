"""The ranker's epoch loop: seeded draws, masked-pooling forward, per-epoch lr, validation, checkpoints
(per epoch, and every save_steps steps inside one)."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

from mathdistill.io.atomic import write_json_atomic
from mathdistill.ranker.data import RankerGroup, epoch_draws


def _device(cfg: Any) -> tuple[str, Any]:
    import torch

    if not torch.cuda.is_available():
        return "cpu", None
    bf16 = cfg.bf16 if cfg.bf16 is not None else torch.cuda.is_bf16_supported()
    return "cuda", torch.bfloat16 if bf16 else None


def run_epochs(cfg: Any, out: Path, encoder: str, train: list[RankerGroup], val: list[RankerGroup],
               resume: Path | None, summary: dict[str, Any], progress: bool = True) -> list[dict[str, Any]]:
    import torch
    from transformers import AutoTokenizer

    from mathdistill.models.manifest import MANIFEST
    from mathdistill.ranker import checkpoint as ck
    from mathdistill.ranker.encoding import collate, encode_pairs, pad_id
    from mathdistill.ranker.model import RankerModel, ranker_loss
    from mathdistill.ranker.schedule import lr_multiplier, make_optimizer
    from mathdistill.ranker.validation import best_epoch, validate

    spe, total, n_epochs = summary["steps_per_epoch"], summary["total_steps"], summary["num_epochs"]
    device, amp_dtype = _device(cfg)
    if resume is not None:
        model, tokenizer, _ = RankerModel.load(resume)
        state = ck.read_state(resume)
    else:
        model = RankerModel.from_encoder(encoder, seed=cfg.seed)
        tokenizer = AutoTokenizer.from_pretrained(encoder)
        state = {"epochs": []}
    model.to(device)
    optimizer = make_optimizer(model, cfg)
    if resume is not None:
        optimizer.load_state_dict(torch.load(resume / ck.OPTIM_FILE, map_location=device))
    epochs: list[dict[str, Any]] = list(state["epochs"])
    partial = state.get("partial")  # resumed from a mid-epoch step checkpoint
    max_length = model.max_length(cfg.ranker.max_length)
    summary["max_length"] = max_length
    info = {"max_length": max_length, "base_encoder": cfg.model, "encoder_resolved": encoder,
            "gamma": cfg.ranker.gamma}
    pad = pad_id(tokenizer)
    B = cfg.per_device_train_batch_size
    done_steps = sum(e["steps"] for e in epochs) + (partial["step"] if partial else 0)
    keys = {"train_key": summary["train_key"], "data_fingerprint": summary["data_fingerprint"]}
    write_json_atomic(out / MANIFEST, {**summary, "epochs": epochs})
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=total, initial=done_steps, desc="ranker", unit="step")
    try:
        for epoch in range(len(epochs), n_epochs):
            steps = min(spe, total - epoch * spe)
            lr = cfg.learning_rate * lr_multiplier(epoch, n_epochs)
            for g in optimizer.param_groups:
                g["lr"] = lr
            # Seeded per epoch (dropout included) so a run resumed here repeats the same epoch.
            torch.manual_seed(cfg.seed * 1009 + epoch)
            draws = epoch_draws(train, epoch, cfg.seed)
            model.train()
            loss_sum, truncated, start = 0.0, 0, 0
            if partial and partial["epoch"] == epoch:
                loss_sum, truncated, start = partial["loss_sum"], partial["truncated"], partial["step"]
                torch.set_rng_state(torch.load(resume / ck.RNG_FILE))  # dropout continues where it stopped
            for s in range(start, steps):
                batch = draws[s * B:(s + 1) * B] or draws[:B]
                pairs = [(g.question, p) for g, p, _ in batch] + [(g.question, n) for g, _, n in batch]
                enc = encode_pairs(tokenizer, pairs, max_length)
                truncated += sum(e.truncated for e in enc)
                amp = torch.autocast("cuda", dtype=amp_dtype) if amp_dtype else contextlib.nullcontext()
                with amp:
                    scores = model(**collate(enc, pad, device)).float()
                loss = ranker_loss(scores[:len(batch)], scores[len(batch):], cfg.ranker.gamma)
                loss.backward()
                if cfg.max_grad_norm:
                    torch.nn.utils.clip_grad_norm_(model.parameters(), cfg.max_grad_norm)
                optimizer.step()
                optimizer.zero_grad(set_to_none=True)
                loss_sum += float(loss.detach())
                if bar is not None:
                    bar.update(1)
                    bar.set_postfix(epoch=epoch + 1, loss=f"{loss_sum / (s + 1):.4f}")
                if (s + 1) % cfg.save_steps == 0 and s + 1 < steps:
                    part = {"epoch": epoch, "step": s + 1, "loss_sum": loss_sum, "truncated": truncated}
                    ck.save_step_checkpoint(out, epoch * spe + s + 1, model, tokenizer, info, optimizer,
                                            {"epochs": epochs, "partial": part, **keys})
            row = {"epoch": epoch + 1, "steps": steps, "lr": lr, "train_loss": loss_sum / steps,
                   "truncated_inputs": truncated,
                   **validate(model, tokenizer, val, cfg.ranker.gamma, max_length, seed=cfg.seed)}
            epochs.append(row)
            if bar is not None and row["val_pairwise_accuracy"] is not None:
                bar.write(f"epoch {epoch + 1}: train loss {row['train_loss']:.4f}, "
                          f"val pairwise acc {row['val_pairwise_accuracy']:.3f} (all pairs), "
                          f"{row['val_random_pair_accuracy']:.3f} (one random pair per question)")
            ck.save_checkpoint(out, epoch + 1, model, tokenizer, info, optimizer, {"epochs": epochs, **keys},
                               keep={best_epoch(epochs, cfg.ranker.val_metric)})
            write_json_atomic(out / MANIFEST, {**summary, "epochs": epochs})
    finally:
        if bar is not None:
            bar.close()
    return epochs
