"""Answer extraction and equivalence grading.

`extract_answer` -> `Extraction(answer, rule)`, `is_equivalent(pred, gold)`, `grade(...)` -> `Grade`,
`grade_many(items, workers=, timeout_s=)` (process pool, per-item wall-clock timeout) and
`GRADER_VERSION` (record it with every result). sympy is imported only when needed.
"""

from mathdistill.grading.compare import is_equivalent
from mathdistill.grading.extract import Extraction, extract_answer
from mathdistill.grading.grader import GRADER_VERSION, Grade, grade
from mathdistill.grading.pool import GradingPool, grade_many

__all__ = ["GRADER_VERSION", "Extraction", "Grade", "GradingPool", "extract_answer", "grade", "grade_many",
           "is_equivalent"]
