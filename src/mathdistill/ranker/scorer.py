"""Scoring with a trained ranker: batched f(q, r), and the SampleScorer used by ASC voting."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from mathdistill.records import Problem, Sample


def default_device() -> str:
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def score_pairs_with(model: Any, tokenizer: Any, pairs: Sequence[tuple[str, str]], max_length: int,
                     batch_size: int = 32, device: Any = None, progress: bool = False) -> list[float]:
    """f(q, r) for every pair, in order. Pairs are batched by length so padding stays small."""
    import torch

    from mathdistill.ranker.encoding import collate, encode_pairs, pad_id

    if not pairs:
        return []
    device = device or next(model.parameters()).device
    encoded = encode_pairs(tokenizer, pairs, max_length)
    order = sorted(range(len(encoded)), key=lambda i: len(encoded[i].input_ids))
    scores: list[float] = [0.0] * len(encoded)
    pad = pad_id(tokenizer)
    was_training = model.training
    model.eval()
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(order), desc="score", unit="sample")
    try:
        with torch.inference_mode():
            for start in range(0, len(order), batch_size):
                idx = order[start:start + batch_size]
                out = model(**collate([encoded[i] for i in idx], pad, device)).float().cpu().tolist()
                for i, s in zip(idx, out, strict=True):
                    scores[i] = float(s)
                if bar is not None:
                    bar.update(len(idx))
    finally:
        if bar is not None:
            bar.close()
        model.train(was_training)
    return scores


class LoadedRanker:
    """A trained ranker directory, ready to score (question, response) pairs."""

    def __init__(self, model_dir: str | Path, device: str | None = None, batch_size: int = 32):
        from mathdistill.ranker.model import RankerModel

        self.path = Path(model_dir)
        self.device = device or default_device()
        model, self.tokenizer, self.info = RankerModel.load(self.path)
        self.model = model.to(self.device).eval()
        self.max_length = int(self.info.get("max_length", 512))
        self.batch_size = batch_size
        self.name = f"ranker:{self.path}"

    def score_pairs(self, pairs: Sequence[tuple[str, str]], progress: bool = False) -> list[float]:
        return score_pairs_with(self.model, self.tokenizer, pairs, self.max_length, self.batch_size, self.device,
                                progress)

    def __call__(self, question: str, response: str) -> float:
        return self.score_pairs([(question, response)])[0]

    # SampleScorer: eval's ASC voting scores one problem's samples at a time.
    def score(self, problem: Problem, samples: Sequence[Sample]) -> list[float | None]:
        return list(self.score_pairs([(problem.question, s.response) for s in samples]))


def sample_question(s: Sample) -> str:
    """The question eval recorded with the sample (the prompt if it has none), as eval's voting sees it."""
    return s.meta.get("question") or s.prompt
