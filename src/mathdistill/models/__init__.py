"""Model names: the embedded default (`smollm2`), HF ids and local paths."""

from mathdistill.models.registry import resolve_model

__all__ = ["resolve_model"]
