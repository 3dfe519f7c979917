"""Answer extraction and equivalence grading."""
