"""Inference-time aggregation: voting over answer equivalence classes and sample scorers (ASC)."""
