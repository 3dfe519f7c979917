"""Fixtures of the curation tests (helpers live in curation_helpers.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from curation_helpers import mk, problem, write_dir


@pytest.fixture
def mixed_dir(tmp_path: Path) -> Path:
    """P1: 3 correct (one a whitespace duplicate), 3 incorrect (one truncated, one without answer);
    P2: 4 correct, 0 incorrect; P3: 0 correct, 2 incorrect."""
    s = [
        mk("P1", 0, "right one \\boxed{1}", True),
        mk("P1", 1, "right  one\n\\boxed{1}", True),  # whitespace duplicate of idx 0
        mk("P1", 2, "right two \\boxed{1}", True),
        mk("P1", 3, "wrong a \\boxed{2}", False, pred="2"),
        mk("P1", 4, "wrong cut off", False, pred=None, finish="length", error="truncated"),
        mk("P1", 5, "no box at all", False, pred=None),
        mk("P2", 0, "p2 a \\boxed{1}", True),
        mk("P2", 1, "p2 b \\boxed{1}", True),
        mk("P2", 2, "p2 c \\boxed{1}", True),
        mk("P2", 3, "p2 d \\boxed{1}", True),
        mk("P3", 0, "p3 wrong x \\boxed{5}", False, pred="5"),
        mk("P3", 1, "p3 wrong y \\boxed{6}", False, pred="6"),
    ]
    probs = [problem("P1", solution="ref P1 \\boxed{1}"), problem("P2"), problem("P3")]
    return write_dir(tmp_path / "samples", s[::-1], probs)  # reversed: order must not matter
