"""Answer extraction and equivalence grading.

`extract_answer(text, gold, mode=)` -> `Extraction(answer, rule)`, `is_equivalent(pred, gold)` (time-bounded
in process), `grade(..., mode=, choices=)` -> `Grade`,
`grade_many(items, workers=, timeout_s=)` (process pool, per-item wall-clock timeout) and
`GRADER_VERSION` / `grader_id(percent)` (record it with every result), `regrade_run(run_dir)` (regrade a
sampling run in place, no resampling). Policies: docs/grading.md. sympy is imported only when needed.
"""

from mathdistill.grading.apply import grade_items, grade_samples, write_grade
from mathdistill.grading.compare import equivalent_or_timeout, is_equivalent
from mathdistill.grading.extract import MODES, Extraction, extract_answer
from mathdistill.grading.grader import DEFAULT_MODE, DEFAULT_PERCENT, GRADER_VERSION, Grade, grade, grader_id
from mathdistill.grading.numeric import PERCENT_MODES
from mathdistill.grading.pool import GradingPool, grade_many
from mathdistill.grading.regrade import regrade_run

__all__ = ["DEFAULT_MODE", "DEFAULT_PERCENT", "GRADER_VERSION", "MODES", "PERCENT_MODES", "Extraction", "Grade",
           "GradingPool", "equivalent_or_timeout", "extract_answer", "grade", "grade_items", "grade_many",
           "grade_samples", "grader_id", "is_equivalent", "regrade_run", "write_grade"]
