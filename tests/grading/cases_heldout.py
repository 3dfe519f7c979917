"""Held-out grading cases for the kinds of miss a labelled set outside cases.py found (grader 1.3).

Same row format as cases.py: (category, kind, text, gold, expected, note). Written per kind of miss,
with near-misses that must stay wrong next to every rule; benchmarks/grading.py reports these
categories separately (section c), for mathdistill and math-verify on the same cases.
Conventions they encode are documented in docs/grading.md (tolerance, percent, prose answers).
"""

from __future__ import annotations

CASES: list[dict] = []


def _add(category: str, kind: str, rows: list[tuple]) -> None:
    for row in rows:
        text, gold, expected = row[:3]
        note = row[3] if len(row) > 3 else ""
        CASES.append({"category": category, "kind": kind, "text": text, "gold": gold, "expected": expected,
                      "note": note})


# Tolerance policy: a decimal with >= 5 significant digits equals a value no finite decimal can write
# (1/6, 2/7, sqrt 2, pi) when it is that value rounded or truncated to the digits shown; repeating
# notation is exact; a finite-decimal gold (1/8, 0.3) is compared exactly.
_add("decimal_forms", "pred", [
    ("0.16666666666666666", "\\frac16", True, "float repr of 1/6"),
    ("0.16667", "\\frac{1}{6}", True, "rounded to 5 significant digits"),
    ("0.16666", "\\frac{1}{6}", True, "truncated to 5 significant digits"),
    ("0.28571", "\\dfrac{2}{7}", True), ("2.3333333", "\\frac73", True), ("-0.66667", "-\\frac23", True),
    ("33.333", "\\frac{100}{3}", True), ("1.41421356", "\\sqrt{2}", True), ("3.14159", "\\pi", True),
    ("0.70711", "\\frac{\\sqrt{2}}{2}", True),
    ("0.1667", "\\frac{1}{6}", False, "four digits: a rounding people write for an exact answer"),
    ("0.\\overline{3}", "\\frac13", True), ("0.1\\overline{6}", "\\frac16", True),
    ("1.\\overline{142857}", "\\frac87", True), ("0.\\overline{36}", "\\frac{4}{11}", True),
    ("0.\\dot{3}", "1/3", True), ("0.\\bar{3}", "\\frac13", True), ("0.6666666666666666", "\\frac23", True), ("0.333\\ldots", "\\frac13", True), ("0.1666...", "\\frac16", True),
    ("0.167", "\\frac16", False, "three significant digits: a rounding, not the answer"),
    ("0.16668", "\\frac16", False, "neither rounded nor truncated"), ("0.16666", "\\frac{1}{5}", False),
    ("0.66667", "-\\frac23", False), ("1.41421", "\\sqrt{3}", False), ("0.70711", "\\frac{\\sqrt{3}}{2}", False),
    ("0.\\overline{16}", "\\frac16", False, "0.161616... is 16/99"), ("0.\\overline{3}", "0.3", False),
    ("0.33333", "0.3", False, "a finite-decimal gold is exact"),
    ("0.12501", "\\frac18", False, "1/8 = 0.125 is a finite decimal: no tolerance"),
    ("0.35...", "\\frac13", False, "an ellipsis continues the digits shown"),
])

# A number met mid-reasoning, or an expression the response only announces, is not a final answer.
_add("unfinished_hedged", "response", [
    ("First, 12 x 4 = 48. Then we need to", "48", False, "unfinished"),
    ("First, 12 x 4 = 48. Then we need to subtract the eggs she eats for breakfast, which", "48", False),
    ("So far we have 25 marbles in the bag. Now we need to find how many of them are red", "25", False),
    ("The total is 12 + 7 = 19 apples, and then she gives away", "19", False, "cut mid-sentence"),
    ("I think it might be 12, but let me check again: 3 x 5 =", "12", False),
    ("To find the total cost we need to evaluate $3 \\cdot 15 + 2 \\cdot 8$.", "61", False, "announced only"),
    ("Let's compute $\\frac{1}{2} + \\frac{1}{3}$.", "\\frac56", False),
    ("Next, we will find $\\binom{5}{2}$ to count the pairs.", "10", False),
    ("The answer is either 3 or 4; I am not sure which.", "3", False, "hedged between two values"),
    ("First, 12 x 4 = 48. So she has 48 eggs.", "48", True, "finished: the last number is the answer"),
    ("Adding them up, 12 + 7 = 19.", "19", True),
    ("Therefore $\\frac{1}{2} + \\frac{1}{3} = \\frac{5}{6}$.", "\\frac56", True),
    ("We compute $3 \\cdot 15 + 2 \\cdot 8 = 61$.", "61", True, "a computation with its result is finished"),
    ("Now we need to add them: 25 + 17 = 42 marbles.", "42", True),
    ("I think the answer is 12.", "12", True),
    ("\\begin{align*}\nS &= \\sum_{n} \\left(\\frac{1}{n} - \\frac{1}{n+1}\\right) \\\\\n&= 1.\n\\end{align*}", "1", True,
     "an environment end is no cut-off sentence"),
    ("We can factor $t^2 - 49$ as $(t-7)(t+7)$ using the difference of squares.", "(t-7)(t+7)", True,
     "`can ... as $...$` states a result, it announces nothing"),
])

# Answers stated in prose, without a box.
_add("prose_answers", "response", [
    ("Counting 10 days forward from Tuesday, the meeting will be on a Friday.", "\\text{Friday}", True),
    ("Counting 10 days forward from Tuesday, the meeting will be on a Friday.", "\\text{Thursday}", False),
    ("It cannot be on a Friday, since the office is closed, so the meeting will be on a Monday.", "Friday", False),
    ("Checking each case, the largest possible value of $n$ is 19.", "19", True),
    ("So the largest possible value of $n$ is 19, since $n = 20$ fails.", "19", True),
    ("So the largest possible value of $n$ is 19, since $n = 20$ fails.", "20", False),
    ("The solutions are $x=1$ and $x=5$.", "1, 5", True),
    ("The solutions are 1, 2, and 5.", "1,2,5", True), ("The solutions are 1, 2, and 5.", "1,2", False),
    ("**Yes**, because 7 divides 21.", "Yes", True), ("She needs 3 1/4 cups of sugar in total.", "3 1/4", True),
    ("The solutions are $x = 1$ and $x = 5$.", "5", False), ("The solutions are $x=1$ and $x=5$.", "1, 6", False),
    ("Yes, because 21 is divisible by 7, the number is composite.", "\\text{Yes}", True),
    ("No, because $21 = 3 \\cdot 7$ is not prime.", "\\text{Yes}", False),
    ("No. The sum of two odd numbers is even, so it cannot be 15.", "No", True),
    ("Is it possible? Yes. Since both are even, the sum is even.", "yes", True),
    ("Combining the two amounts, you need 3 1/4 cups of flour.", "3\\frac{1}{4}", True),
    ("Combining the two amounts, you need 3 1/4 cups of flour.", "\\frac14", False),
    ("The total cost is €30.", "30", True), ("The total cost is €30.", "3", False),
    ("The angle at the apex is 120 degrees.", "120^\\circ", True),
    ("Hence the side length is √2.", "\\sqrt{2}", True), ("Hence the side length is √2.", "2", False),
    ("So the angle measures 30°.", "30", True), ("So the angle measures 30°.", "60", False),
    ("$\\boxed{\\text{The answer is } 9}$", "9", True), ("$\\boxed{\\text{The answer is } 9}$", "8", False),
    ("\\boxed{\\text{The final answer is } \\frac{3}{4}}", "0.75", True),
    ("Thus, the possible polynomials for $g(x)$ are $2x+1$ and $-(2x+1)$.", "-2x-1", False, "two answers for one"),
    ("Therefore, the probability is $\\dfrac{1}{27\\cdot\\binom{44}{5}}$. This is the answer.",
     "\\dfrac{1}{29,\\!322,\\!216}", True, "a closing remark states no value"),
])

# The same answer written another way.
_add("equiv_forms", "pred", [
    ("15:30", "3:30 p.m.", True), ("3:30 \\text{ p.m.}", "15:30", True), ("3:30 PM", "15:30", True),
    ("9:15 a.m.", "09:15", True), ("12:05 a.m.", "0:05", True), ("12:30 p.m.", "12:30", True),
    ("3:30 a.m.", "15:30", False), ("8:34\\text{ a.m.}", "8\\!:\\!34 \\text{ p.m.}", False),
    ("20:34", "8\\!:\\!34 \\text{ p.m.}", True), ("k = 3, k = -1", "-1", False, "two solutions are no one answer"), ("4:30 p.m.", "15:30", False), ("3:30", "15:30", False, "no p.m. given"),
    ("(-\\infty,\\infty)", "\\mathbb{R}", True), ("\\mathbb{R}", "(-\\infty, \\infty)", True),
    ("x \\in \\mathbb{R}", "(-\\infty,\\infty)", True), ("\\left< 1,2,3 \\right>", "(1,2,3)", True),
    ("3:30pm", "15:30", True), ("(0,\\infty)", "\\mathbb{R}", False), ("\\mathbb{R}", "\\mathbb{Z}", False),
    ("\\langle 1,2,3\\rangle", "(1,2,3)", True), ("\\langle 1, -2 \\rangle", "\\begin{pmatrix}1\\\\-2\\end{pmatrix}", True),
    ("\\left\\langle 1,2,3\\right\\rangle", "(1,2,3)", True),
    ("\\langle 1,2,3\\rangle", "(1,3,2)", False), ("\\langle 1,2\\rangle", "(1,2,3)", False),
    ("3 < x", "x > 3", True), ("5 \\ge x", "x \\le 5", True), ("3 < x", "(3,\\infty)", True),
    ("3 < x", "x < 3", False), ("3 \\le x", "x > 3", False),
    ("60\\mathrm{~km/h}", "60", True), ("60 \\mathrm{~km} / \\mathrm{h}", "60", True),
    ("12\\mathrm{~cm}^2", "12", True), ("5\\,\\mathrm{m/s}", "5", True),
    ("60\\mathrm{~km/h}", "6", False), ("16\\mathrm{~km/h}", "60", False),
])

# Default percent convention ("either"): a literal % reads as x/100 or as the bare number; two bare
# numbers are never rescaled. The other conventions are tested in test_grading_policies.py.
_add("percent_decimal", "pred", [
    ("0.5", "50\\%", True), ("\\frac12", "50\\%", True), ("50", "50\\%", True), ("50 percent", "0.5", True),
    ("0.125", "12.5\\%", True), ("50\\%", "\\frac{1}{2}", True), ("50\\text{ percent}", "50\\%", True),
    ("0.5", "5\\%", False), ("0.05", "50\\%", False), ("50", "0.5", False, "two bare numbers are never rescaled"),
    ("5\\%", "0.5\\%", False), ("0.51", "50\\%", False),
])

# GSM8K `####` answers and the last-number fallback.
_GSM_RUN_ON = ("Natalia sold 48/2 = 24 clips in May.\nAltogether she sold 48 + 24 = 72 clips.\n#### 72\n\n"
               "Question: Weng earns $12 an hour for babysitting. Yesterday she did 50 minutes. How much did she "
               "earn?\nAnswer: She earns 12/60 = 0.2 per minute, so 0.2 x 50 = 10.\n#### 10")
_add("gsm8k_fallback", "response", [
    (_GSM_RUN_ON, "72", True, "a restated next question after the answer is not part of it"),
    (_GSM_RUN_ON, "10", False),
    ("Natalia sold 72 clips.\n#### How many clips did Natalia sell altogether? She sold 72 clips.", "72", True),
    ("Natalia sold 72 clips.\n#### How many clips did Natalia sell altogether? She sold 72 clips.", "2", False),
    ("She sold 24 + 48 = 72 clips.\n#### 72 clips", "72", True),
    ("It takes her 45 + 90 = 135 minutes in total, which is 2.25 hours.", "135", True,
     "a trailing unit conversion is an aside"),
    ("It takes her 45 + 90 = 135 minutes in total, which is 2.25 hours.", "136", False),
    ("The trip takes 150 / 60 = 2.5 hours (150 minutes).", "2.5", True),
    ("The trip takes 150 / 60 = 2.5 hours (150 minutes).", "150", False),
    ("She walks 3 miles a day, so in a week she walks 3 x 7 = 21 miles.", "21", True),
    ("Each of the 4 boxes holds 6 cans, so there are 24 cans, which is 2 dozen cans.", "24", True),
    ("He converts 3 hours into minutes: 3 x 60 = 180 minutes.", "180", True),
    ("Altogether the walk is 90 minutes, i.e. 1.5 hours.", "90", True), ("So the answer is 12 (or 1 dozen).", "12", True),
    ("So the answer is 12 (or 1 dozen).", "1", False),
])
