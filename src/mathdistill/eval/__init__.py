"""Evaluation: generation with caching, greedy / mean@n / pass@k / maj@k / ASC@k metrics."""
