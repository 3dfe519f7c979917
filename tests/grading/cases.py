"""Labelled grading cases: (category, kind, text, gold, expected, note).

kind "pred": `text` is a bare final answer, checked with is_equivalent(text, gold).
kind "response": `text` is a whole model output, checked with grade(text, gold).correct.
Positives and tricky negatives for every category; benchmarks/grading.py runs the same table
through math-verify and a Hendrycks-style normaliser.
"""

from __future__ import annotations

CASES: list[dict] = []


def _add(category: str, kind: str, rows: list[tuple]) -> None:
    for row in rows:
        text, gold, expected = row[:3]
        note = row[3] if len(row) > 3 else ""
        CASES.append({"category": category, "kind": kind, "text": text, "gold": gold, "expected": expected,
                      "note": note})


_add("integer", "pred", [
    ("1000", "1000", True), ("1,000", "1000", True), ("1{,}000", "1000", True), ("12\\,345", "12345", True),
    ("12,345,678", "12345678", True), ("-7", "-7", True), ("+7", "7", True), ("007", "7", True),
    ("7.0", "7", True), ("7.00", "7", True), ("\\$1,000", "1000", True), ("1\\,000\\,000", "1000000", True),
    ("1.000", "1000", False, "decimal point is not a separator"), ("1,000", "1", False), ("-7", "7", False),
    ("100", "1000", False), ("10", "1", False), ("0", "-0", True), ("42", "\\boxed{42}", True),
    ("$42$", "42", True), ("\\(42\\)", "42", True), ("\\textbf{42}", "42", True), ("4 2", "42", True),
    ("41", "42", False), ("1,2", "12", False, "a list, not a separator"), ("12,34", "1234", False),
    ("\\mathbf{17}", "17", True), ("17.", "17", True), ("\\text{17}", "17", True), ("seventeen", "17", True),
    ("twelve", "12", True), ("zero", "0", True), ("one", "2", False), ("2^{10}", "1024", True),
    ("10!", "3628800", True), ("\\binom{5}{2}", "10", True), ("\\dbinom{6}{3}", "20", True),
    ("3 \\cdot 4", "12", True), ("3 \\times 5", "16", False), ("1000000", "10^6", True),
    ("2^{4181}", "256", False), ("2^{2008}", "2^{2008}-2", False, "huge numbers compared exactly"),
])

_add("decimal", "pred", [
    ("0.5", "0.5", True), (".5", "0.5", True), ("0.50", "0.5", True), ("0.5", "\\frac12", True),
    ("3.14", "3.14", True), ("3.14", "\\pi", False, "rounded pi is not pi"), ("3.140", "3.14", True),
    ("0.333", "\\frac{1}{3}", False, "a rounding is not the fraction"), ("2.5", "\\frac{5}{2}", True),
    ("-0.25", "-\\frac{1}{4}", True), ("0.25", "-\\frac14", False), ("1.5", "15", False),
    ("0.1", "0.01", False), ("12.5", "12.50", True), ("0.75", "3/4", True), ("1.2", "1.20", True),
    ("4.0", "4", True), ("4.01", "4", False), ("0.0", "0", True), ("5.5", "5\\frac{1}{2}", True),
    ("2.25", "2\\frac14", True), ("1.05", "1.5", False), ("10.0", "10", True), ("-1.5", "-\\dfrac{3}{2}", True),
])

_add("fraction", "pred", [
    ("\\frac{1}{2}", "\\frac12", True), ("\\dfrac{1}{2}", "\\frac{1}{2}", True), ("\\tfrac{1}{2}", "1/2", True),
    ("1/2", "\\frac{1}{2}", True), ("\\frac{2}{4}", "\\frac{1}{2}", True), ("\\frac{-3}{4}", "-\\frac{3}{4}", True),
    ("-\\frac{3}{4}", "\\frac{3}{-4}", True), ("\\frac{3}{4}", "\\frac{4}{3}", False), ("\\frac{1}{2}", "2", False),
    ("\\frac{10}{3}", "3\\frac{1}{3}", True), ("\\frac{7}{2}", "3.5", True), ("\\frac{22}{7}", "\\pi", False),
    ("\\frac{1}{3}", "0.3", False), ("\\frac 12", "\\frac12", True), ("\\frac{\\sqrt{3}}{2}", "\\frac{\\sqrt3}{2}", True),
    ("\\frac{1}{\\sqrt{2}}", "\\frac{\\sqrt{2}}{2}", True), ("\\frac{2}{\\sqrt{3}}", "\\frac{2\\sqrt{3}}{3}", True),
    ("\\frac{1}{\\sqrt{3}}", "\\frac{\\sqrt{3}}{2}", False), ("(1)/(2)", "\\frac12", True), ("\\frac{9}{12}", "0.75", True),
    ("\\frac{5}{0}", "5", False, "division by zero never equal"), ("\\frac{a}{b}", "\\frac{b}{a}", False),
    ("\\frac{x+1}{2}", "\\frac{1+x}{2}", True), ("\\frac{1}{4}", "25\\%", True, "explicit percent means /100"),
    ("-\\frac{1}{2}", "\\frac{1}{2}", False), ("\\frac{16}{3}", "5\\frac13", True), ("\\frac{1}{27\\cdot\\binom{44}{5}}", "\\frac{1}{29,322,216}", True),
])

_add("mixed_number", "pred", [
    ("2\\frac{1}{4}", "\\frac{9}{4}", True), ("2 \\frac{1}{4}", "2\\frac{1}{4}", True), ("2\\frac14", "2.25", True),
    ("2 1/4", "9/4", True), ("-1\\frac{1}{2}", "-\\frac{3}{2}", True), ("2\\frac{1}{4}", "\\frac{1}{2}", False, "not 2*(1/4)"),
    ("3\\frac{1}{2}", "3.5", True), ("1\\frac{2}{3}", "\\frac{5}{3}", True), ("1\\frac{2}{3}", "\\frac{2}{3}", False),
    ("5\\frac{1}{3}", "\\frac{17}{3}", False), ("4\\dfrac{3}{8}", "\\frac{35}{8}", True), ("4\\tfrac{3}{8}", "4.375", True),
])

_add("percent", "pred", [
    ("50\\%", "50", True, "percent sign is a unit for a percent question"), ("50%", "50", True),
    ("50\\%", "0.5", True, "50% means 0.5"), ("50", "0.5", False, "bare numbers are never rescaled"),
    ("0.5", "50\\%", True), ("25\\%", "\\frac{1}{4}", True), ("12.5\\%", "12.5", True), ("50\\%", "5\\%", False),
    ("5\\%", "0.5\\%", False, "both percent: compare as written"), ("50 percent", "50", True),
    ("33\\frac{1}{3}\\%", "33\\frac{1}{3}", True), ("100\\%", "1", True), ("10\\%", "10", True), ("20\\%", "2", False),
    ("75\\%", "75\\%", True), ("7.5\\%", "75", False),
])

_add("scientific", "pred", [
    ("1.5\\times10^{3}", "1500", True), ("1.5 \\times 10^3", "1500", True), ("1.5e3", "1500", True),
    ("3\\cdot10^{-2}", "0.03", True), ("6.02\\times10^{23}", "602000000000000000000000", True),
    ("1.5\\times10^{3}", "150", False), ("2\\times10^{-3}", "0.002", True), ("2 \\times 10^{-3}", "0.02", False),
    ("1E6", "1000000", True), ("5\\times 10^{4}", "50{,}000", True),
])

_add("units_currency_text", "pred", [
    ("5 \\text{ cm}", "5", True), ("5\\text{cm}", "5", True), ("5 cm", "5", True), ("\\$5", "5", True),
    ("\\$5.00", "5", True), ("5 dollars", "5", True), ("\\$ 12.50", "12.5", True), ("12 \\text{ inches}", "12", True),
    ("2400 \\mbox{ cm}^2", "2400", True), ("12\\sqrt{13}\\text{ feet}", "12\\sqrt{13}", True),
    ("10 \\text{ square units}", "10", True), ("3 hours", "3", True), ("6 \\text{ cm}^2", "6", True),
    ("5 \\text{ cm}", "6", False), ("\\$5", "50", False), ("\\text{5 meters}", "5", True), ("5 m", "5", True),
    ("\\frac{1}{3}\\pi r^2 h", "\\frac{1}{3}\\pi r^2", False, "h is a variable, not a unit"),
    ("14 \\text{ units}", "14", True), ("8\\text{ ways}", "8", True), ("9 \\text{ students}", "9", True),
    ("\\text{12 cookies}", "12", True), ("18 \\text{ sq units}", "18", True), ("\\$\\$10", "10", True),
])

_add("degrees", "pred", [
    ("30^\\circ", "30", True), ("30^{\\circ}", "30", True), ("30°", "30", True), ("30 degrees", "30", True),
    ("30\\degree", "30", True), ("30^\\circ", "60", False), ("90^\\circ", "90", True), ("45^\\circ", "\\frac{\\pi}{4}", False,
     "no silent degree/radian conversion"), ("120^{\\circ}", "120^\\circ", True), ("15°", "150", False),
])

_add("sqrt_pi", "pred", [
    ("\\sqrt{8}", "2\\sqrt{2}", True), ("2\\sqrt2", "2\\sqrt{2}", True), ("\\sqrt{12}", "2\\sqrt{3}", True),
    ("\\sqrt{2}", "1.414", False), ("3\\sqrt{2}", "\\sqrt{18}", True), ("\\sqrt{18}", "2\\sqrt{3}", False),
    ("\\sqrt[3]{8}", "2", True), ("\\sqrt[3]{16}", "2\\sqrt[3]{2}", True), ("\\frac{\\sqrt{2}}{2}", "\\frac{1}{\\sqrt{2}}", True),
    ("2\\pi", "2\\pi", True), ("\\pi \\cdot 2", "2\\pi", True), ("6.28", "2\\pi", False), ("4\\pi", "2\\pi", False),
    ("\\frac{\\pi}{2}", "\\frac12\\pi", True), ("\\pi/2", "\\frac{\\pi}{2}", True), ("\\frac{3\\pi}{4}", "\\frac{4\\pi}{3}", False),
    ("√2", "\\sqrt{2}", True), ("π", "\\pi", True), ("2+\\sqrt{3}", "\\sqrt{3}+2", True), ("2-\\sqrt{3}", "\\sqrt{3}-2", False),
    ("\\sqrt{3}+1", "1+\\sqrt3", True), ("\\frac{1+\\sqrt{5}}{2}", "\\frac{\\sqrt{5}+1}{2}", True),
    ("\\frac{-1+\\sqrt{5}}{2}", "\\infty", False), ("5\\sqrt{2}", "\\sqrt{50}", True), ("10\\pi", "31.4", False),
    ("\\frac{4\\sqrt{3}}{\\sqrt{105}}", "\\frac{4\\sqrt{35}}{35}", True), ("\\sqrt{3}", "3", False),
    ("25\\pi", "25 \\pi", True), ("\\frac{25\\pi}{4}", "6.25\\pi", True), ("\\sqrt{2}\\cdot\\sqrt{3}", "\\sqrt{6}", True),
])

_add("symbolic", "pred", [
    ("x^2+2x+1", "(x+1)^2", True), ("x^2+2x", "(x+1)^2", False), ("2x", "2", False, "a variable is not a number"),
    ("2x", "x\\cdot 2", True), ("2x+3", "3+2x", True), ("(x-1)(x+1)", "x^2-1", True), ("x^2-1", "x^2+1", False),
    ("\\frac{x}{2}", "0.5x", True), ("a^2-b^2", "(a-b)(a+b)", True), ("6x^2+4x-5", "4x+6x^2-5", True),
    ("19x(x^2+4)", "19x^3+76x", True), ("13a^2(1+7a)", "13a^2(a+7)", False), ("\\sin^2 x + \\cos^2 x", "1", False,
     "identities with free variables are not numbers"), ("2\\sin x\\cos x", "\\sin 2x", True),
    ("\\frac{1}{x}", "x^{-1}", True), ("x^{3}", "x^3", True), ("\\log_2 8", "3", True), ("\\ln e", "1", True),
    ("e^{i\\pi}", "-1", True), ("x^2", "x^3", False), ("n(n+1)/2", "\\frac{n^2+n}{2}", True), ("n^2", "n", False),
    ("9(2+x)(2-x)", "9(2-x)(2+x)", True), ("(x^4+16)(x^2+4)(x+2)(x-2)", "(x^4 + 16)(x^2 + 4)(x + 2)(x - 2)", True),
    ("2x^2-12x+20", "2x^2 - 12x + 20", True), ("8x^9", "8x^{9}", True), ("\\frac{a+b}{c}", "\\frac{a}{c}+\\frac{b}{c}", True),
    ("ab", "ba", True), ("a-b", "b-a", False), ("x^{2}y", "yx^2", True), ("3^{995}", "-\\frac{1}{2}", False),
    ("\\tan x", "\\frac{\\sin x}{\\cos x}", True), ("\\cos(\\pi)", "-1", True), ("\\sin(\\frac{\\pi}{6})", "\\frac12", True),
    ("2\\sin(5x)\\cos(x)", "2\\sin 5x\\cos x", True), ("\\frac{8}{3}\\sqrt{3}", "81\\sqrt{3}", False),
])

_add("equation", "pred", [
    ("x=3", "3", True), ("x = 3", "3", True), ("3", "x=3", True), ("y=2x+3", "2x+3", True),
    ("y = 2x+3", "y=3+2x", True), ("x=4", "3", False), ("k=\\frac{1}{2}", "\\frac12", True), ("a+2d=3", "3", True),
    ("2x+3y=6", "4x+6y=12", True, "same line"), ("2x+3y=6", "2x+3y=7", False), ("y=x^2", "y=x^3", False),
    ("f(x)=x^2", "x^2", True), ("x=3", "x=-3", False), ("p(x) = x^2-1", "x^2 - 1", True), ("r=5", "5", True),
    ("\\theta=\\frac{\\pi}{3}", "\\frac{\\pi}{3}", True), ("x^2+y^2=25", "y^2+x^2=25", True), ("x+y=5", "x-y=5", False),
    ("h = -\\frac{3}{2}", "-\\frac{3}{2}", True), ("AB = 12", "12", True), ("x = y = 7", "7", True),
    ("900 / 2 = 400", "8 + 310 = 310", False, "two false arithmetic statements are not the same answer"),
    ("900/2 = 450", "450 = 450", True, "arithmetic with no unknowns: the stated results agree"),
])

_add("tuple_set_multi", "pred", [
    ("(1,2)", "(1,2)", True), ("(1, 2)", "(1,2)", True), ("(2,1)", "(1,2)", False, "ordered pair"),
    ("\\{1,2\\}", "\\{2,1\\}", True, "sets are unordered"), ("1, 2", "2, 1", True, "multiple answers are unordered"),
    ("1,2,3", "3,2,1", True), ("1,2", "1,2,3", False), ("1,1,2", "1,2", True, "duplicates merged"),
    ("(1,2,3)", "(1,2,3)", True), ("(1,2,3)", "(1,3,2)", False), ("\\left(1,2\\right)", "(1,2)", True),
    ("(\\frac12, 3)", "(0.5,3)", True), ("(-1,\\sqrt{2})", "(-1,\\sqrt2)", True), ("(1,2)", "1,2", True),
    ("x=1, x=2", "1,2", True), ("x = 1 \\text{ or } x = 2", "1, 2", True), ("2 \\text{ and } 3", "3,2", True),
    ("1 \\pm \\sqrt{2}", "1+\\sqrt{2}, 1-\\sqrt{2}", True), ("\\pm 3", "3,-3", True), ("\\pm 3", "3", False),
    ("-2, 5", "5, -2", True), ("-2, 5", "-2", False), ("(0,0)", "(0,0)", True), ("(3,-4)", "(3,4)", False),
    ("\\{3\\}", "3", True), ("3", "\\{3\\}", True), ("(2,3)", "5", False), ("1,000", "1000", True),
    ("\\{1,2,3\\}", "\\{1,2\\}", False), ("(1,2)", "[1,2]", False), ("\\{-1, 1\\}", "\\{1,-1\\}", True),
    ("(a, b)", "(b, a)", False), ("2,4,6,8", "8,6,4,2", True), ("(0, \\frac{1}{2})", "\\left(0, \\frac12\\right)", True),
])

_add("interval", "pred", [
    ("[1,2)", "[1,2)", True), ("[1,2)", "[1,2]", False, "closedness matters"), ("(1,2]", "[1,2]", False),
    ("(-\\infty, 3)", "(-\\infty,3)", True), ("(-\\infty,3]", "(-\\infty,3)", False), ("[0,\\infty)", "[0, \\infty)", True),
    ("(0,\\infty)", "(0,∞)", True), ("(-\\infty,1)\\cup(2,\\infty)", "(2,\\infty)\\cup(-\\infty,1)", True),
    ("(-\\infty,1)\\cup(2,\\infty)", "(-\\infty,1]\\cup(2,\\infty)", False), ("[-1,1]", "[-1, 1]", True),
    ("\\left[ -1, 1 \\right]", "[-1,1]", True), ("[\\frac12, 2]", "[0.5, 2]", True), ("[2,5)", "[2,5.0)", True),
    ("(-\\infty,\\infty)", "(-\\infty, \\infty)", True), ("(1,2)\\cup(3,4)", "(1,2)\\cup(3,5)", False),
    ("x \\in [1,2]", "[1,2]", True), ("[1,2)", "1\\le x<2", True, "inequality as interval"),
    ("(-\\infty, -2) \\cup (-2, \\infty)", "(-\\infty,-2)\\cup(-2,\\infty)", True), ("[3,\\infty)", "(3,\\infty)", False),
])

_add("inequality", "pred", [
    ("x<3", "(-\\infty,3)", True), ("x \\le 3", "(-\\infty,3]", True), ("x<3", "(-\\infty,3]", False),
    ("x>5", "(5,\\infty)", True), ("x\\ge5", "[5,\\infty)", True), ("x \\geq 5", "x\\ge 5", True),
    ("2<x<5", "(2,5)", True), ("2 \\le x < 5", "[2,5)", True), ("2<x\\le5", "[2,5]", False),
    ("x > 3", "x < 3", False), ("x\\leq-1", "(-\\infty,-1]", True), ("-1 < x < 1", "(-1,1)", True),
])

_add("matrix_vector", "pred", [
    ("\\begin{pmatrix} 1 & 2 \\\\ 3 & 4 \\end{pmatrix}", "\\begin{pmatrix}1&2\\\\3&4\\end{pmatrix}", True),
    ("\\begin{bmatrix} 1 & 2 \\\\ 3 & 4 \\end{bmatrix}", "\\begin{pmatrix} 1 & 2 \\\\ 3 & 4 \\end{pmatrix}", True),
    ("\\begin{pmatrix} 1 & 2 \\\\ 4 & 3 \\end{pmatrix}", "\\begin{pmatrix} 1 & 2 \\\\ 3 & 4 \\end{pmatrix}", False),
    ("\\begin{pmatrix} 1 \\\\ 2 \\\\ 3 \\end{pmatrix}", "(1,2,3)", True, "column vector equals its tuple"),
    ("\\begin{pmatrix} 1 \\\\ 2 \\\\ 3 \\end{pmatrix}", "\\begin{pmatrix} 1 \\\\ 3 \\\\ 2 \\end{pmatrix}", False),
    ("\\begin{pmatrix} \\frac{4}{13} & -\\frac{6}{13} \\\\ -\\frac{6}{13} & \\frac{9}{13} \\end{pmatrix}",
     "\\begin{pmatrix} 4/13 & -6/13 \\\\ -6/13 & 9/13 \\end{pmatrix}", True),
    ("\\begin{pmatrix} 0.5 \\\\ -1 \\end{pmatrix}", "\\begin{pmatrix} \\frac12 \\\\ -1 \\end{pmatrix}", True),
    ("\\begin{pmatrix} 1 & 0 \\\\ 0 & 1 \\end{pmatrix}", "\\begin{pmatrix} 1 & 0 & 0 \\\\ 0 & 1 & 0 \\end{pmatrix}", False),
    ("\\begin{pmatrix} 2 \\\\ -1 \\end{pmatrix}", "\\begin{pmatrix} -1 \\\\ 2 \\end{pmatrix}", False),
    ("\\left(\\begin{matrix} 1 & 2 \\end{matrix}\\right)", "\\begin{pmatrix} 1 & 2 \\end{pmatrix}", True),
    ("\\begin{pmatrix} x \\\\ 2x \\end{pmatrix}", "\\begin{pmatrix} x \\\\ x+x \\end{pmatrix}", True),
    ("\\begin{pmatrix} 1 \\\\ 2 \\end{pmatrix}", "(1,2,3)", False),
])

_add("complex", "pred", [
    ("3+4i", "4i+3", True), ("3-4i", "3+4i", False), ("i", "\\sqrt{-1}", True), ("2i", "2", False),
    ("1+i", "i+1", True), ("\\frac{1}{2}+\\frac{\\sqrt{3}}{2}i", "\\frac{1+i\\sqrt{3}}{2}", True), ("-i", "i", False),
    ("3-i", "3-i", True), ("(1+i)^2", "2i", True), ("5+0i", "5", True), ("3+4j", "3+4i", False, "j is not i"),
])

_add("yes_no", "pred", [
    ("yes", "Yes", True), ("\\text{Yes}", "yes", True), ("true", "yes", True), ("No", "no", True),
    ("false", "no", True), ("yes", "no", False), ("north", "no", False, "whole words only"),
    ("none", "no", False, "whole words only"), ("\\text{no}", "No", True), ("Yes.", "yes", True),
    ("nope", "no", False), ("yesterday", "yes", False),
])

_add("text", "pred", [
    ("\\text{Friday}", "Friday", True), ("friday", "\\text{Friday}", True), ("Monday", "Friday", False),
    ("\\text{(C)}", "C", True), ("\\text{odd}", "odd", True), ("even", "odd", False), ("\\text{neither}", "neither", True),
    ("\\text{Devon}", "Devon", True), ("Ellipse", "\\text{(D)}", False), ("\\text{A,B,C,D}", "A,B,C,D", True),
    ("A, C", "C, A", True), ("A,C", "A,B,C", False), ("\\mbox{four}", "4", True), ("\\text{east}", "\\text{west}", False),
    ("\\text{Tuesday}", "\\text{Thursday}", False), ("Bob", "\\text{Bob}", True),
])

_add("base", "pred", [
    ("1011_2", "1011_{2}", True), ("1011_2", "1011", True, "dropping the base subscript"), ("1011_2", "1101_2", False),
    ("11_2", "3", False, "digits compared, not values"), ("2A_{16}", "2a_{16}", True), ("123_4", "123_5", False),
    ("10001_2", "10001_{2}", True), ("4210_{5}", "4210_5", True), ("4210_5", "4201_5", False), ("1_2", "1", True),
])

_add("unicode", "pred", [
    ("−5", "-5", True), ("– 5", "-5", True), ("5×10^3", "5000", True), ("½", "\\frac12", True),
    ("√3", "\\sqrt{3}", True), ("2π", "2\\pi", True), ("x ≤ 3", "x\\le3", True), ("∞", "\\infty", True),
    ("−5", "5", False), ("12 345", "12345", True), ("(−∞, 2)", "(-\\infty,2)", True), ("x²", "x^2", True),
])

_add("choice", "response", [
    ("The answer is (B).", "B", True), ("Therefore the correct option is (C).\nThe answer is C", "\\text{(C)}", True),
    ("So the answer is $\\boxed{\\text{(D)}}$.", "D", True), ("Answer: A", "A", True), ("Answer: A", "B", False),
    ("Checking each option, (A) fails and (E) works.", "E", True), ("$\\boxed{B}$", "(B)", True),
    ("The answer is (A) 12.", "A", True), ("I pick option D.", "C", False), ("\\boxed{(E) 3}", "E", True),
])

_add("truncation_extraction_failure", "response", [
    ("Let's think step by step. First we compute", "5", False, "no answer"),
    ("", "5", False, "empty response"), ("We cannot determine it.", "\\frac{1}{2}", False),
])

_add("extraction", "response", [
    ("Let's think step by step\nWe have $2+3=5$.\nThe answer is 5.", "5", True),
    ("So the total is $\\boxed{42}$.", "42", True), ("Thus the answer is $\\boxed{\\frac{3}{4}}$.", "0.75", True),
    ("Final answer: \\boxed{\\dfrac{1}{2}}", "\\frac12", True), ("... so $\\fbox{7}$.", "7", True),
    ("The answer is $\\boxed 5$.", "5", True), ("Natalia sold 48/2 = <<48/2=24>>24 clips in May.\n#### 72", "72", True),
    ("She earns 10 per hour.\n#### 1,200", "1200", True), ("#### 1,200", "120", False),
    ("Therefore, the final answer is $\\frac{\\sqrt{3}}{2}$.", "\\frac{\\sqrt3}{2}", True),
    ("The final answer is 2\\sqrt{3}. I hope it is correct.", "2\\sqrt{3}", True),
    ("Answer: 17", "17", True), ("**Answer:** 17", "17", True), ("# Answer\n\n17", "17", True),
    ("The answer is: $x = 3$", "3", True), ("The answer is 3.5.", "\\frac72", True), ("The answer is 3.", "3.5", False),
    ("We get \\boxed{\\boxed{5}}.", "5", True), ("$\\boxed{\\frac{1}{\\{2\\}}}$ hmm", "\\frac{1}{\\{2\\}}", True),
    ("First $\\boxed{3}$ then we correct it: $\\boxed{4}$", "4", True, "last box wins"),
    ("First $\\boxed{3}$ then we correct it: $\\boxed{4}$", "3", False),
    ("She has 3 apples and buys 4 more, so 7 apples.", "7", True, "last number for plain-number gold"),
    ("She has 3 apples and buys 4 more, so 7 apples.", "8", False),
    ("The total is 1,234 dollars.", "1234", True), ("It costs $\\$12.50$ in total.", "12.5", True),
    ("Thus, $h = -\\frac{3}{2}$.", "-\\frac{3}{2}", True, "last math span"),
    ("Therefore, the range of $f(x)$ is all positive reals, or $(0, \\infty)$.", "(0,\\infty)", True),
    ("The answer is \\boxed{(1,2)}.", "(2,1)", False), ("The answer is $\\boxed{[1,2)}$", "[1,2]", False),
    ("\\[ \\boxed{x^2+2x+1} \\]", "(x+1)^2", True), ("The answer is $\\boxed{2x}$.", "2", False),
    ("The answer is $\\boxed{1.000}$.", "1000", False), ("The answer is $\\boxed{1{,}000}$.", "1000", True),
    ("The answer is \\boxed{\\text{Yes}}.", "yes", True), ("The answer is \\boxed{north}.", "no", False),
    ("The answer is \\boxed{50\\%}.", "0.5", True), ("The answer is 50.", "0.5", False),
    ("So the answer is \\boxed{1011_2}.", "1011_2", True), ("The answer is \\boxed{(-\\infty, 3]}.", "(-\\infty,3)", False),
])

# Found by reading mathdistill / math-verify disagreements on the TDG teacher samples.
_add("units_currency_text", "pred", [
    ("840", "840\\text{ square inches}", True), ("12\\text{ miles per hour}", "12", True), ("3", "3\\text{ boxes}", True),
    ("428", "428\\text{ square centimeters}", True), ("429", "428\\text{ square centimeters}", False),
    ("\\$3.47", "\\$3.47", True), ("\\$3.47", "3.74", False),
])
_add("text", "pred", [
    ("Softball, Picnic, Kickball", "\\text{Softball, Kickball, Picnic}", False, "lists of names are ordered"),
    ("Softball, Kickball, Picnic", "\\text{Softball, Kickball, Picnic}", True), ("empty", "\\text{empty}", True),
    ("04:51:06", "4\\!:\\!51\\!:\\!06 \\text{ p.m.}", True, "times compare as strings"), ("4:51", "4:15", False),
])
_add("tuple_set_multi", "pred", [
    ("(8,-3)", "(4,1)", False, "pairs are not (empty) intervals"), ("(3,-1)", "(1,-19)", False),
    ("\\left( 2 \\sqrt{2}, \\frac{3 \\pi}{4} \\right)", "\\left( 4, \\frac{\\pi}{12} \\right)", False),
    ("\\left(\\frac{17}{10}, \\frac{1}{10}\\right)", "\\left( \\frac{17}{10}, -\\frac{1}{10} \\right)", False),
    ("\\frac{1 + \\sqrt{21 - 20i}}{2}, \\frac{1 - \\sqrt{21 - 20i}}{2}", "3 - i, -2 + i", True),
    ("(\\sqrt{6}, 0)", "\\left(\\tfrac{15}{4},0\\right)", False),
])
_add("interval", "pred", [
    ("(-\\infty,-1] \\cup [-1,3] \\cup (3,\\infty)", "(-\\infty,\\infty)", True, "unions compared as sets"),
    ("(-\\infty,-1) \\cup (-1,\\infty)", "(-\\infty,\\infty)", False), ("-1 \\le x \\le 2", "[-1,2]", True),
])
_add("symbolic", "pred", [
    ("\\tan{15^\\circ}", "\\tan 15^\\circ", True), ("(x - 1)(x + 1)(x^2 - 1)^2", "(x-1)^3(x+1)^3", True),
    ("3 + d", "3", False), ("5x^{26}-15x^9+5x^2-35x^4", "5x^{26}-15x^9-35x^4+5x^2", True),
    ("2(x-2)(x+2)", "(2) (x+2) (x-2)", True), ("30p\\sqrt{p}", "30p \\sqrt{p}", True), ("4√65", "4\\sqrt{65}", True),
])
_add("matrix_vector", "pred", [
    ("\\begin{pmatrix} a - a & 0 \\end{pmatrix} = \\begin{pmatrix} 0 & 0 \\end{pmatrix}",
     "\\begin{pmatrix} 0 & 0 \\end{pmatrix}", True, "last side of a matrix equation"),
    ("\\begin{pmatrix} \\frac{7}{17} & -\\frac{3}{17} \\\\[6pt] \\frac{1}{17} & \\frac{2}{17} \\end{pmatrix}",
     "\\begin{pmatrix} 7/17 & -3/17 \\\\ 1/17 & 2/17 \\end{pmatrix}", True),
])
_add("percent", "pred", [("56\\%", "0.56 = 56\\%", True), ("0.56", "0.56 = 56\\%", True), ("5.6\\%", "0.56 = 56\\%", False)])

# Whole model outputs in the style of the TDG GPT-4 / GPT-3.5 teacher samples.
_add("extraction", "response", [
    (("Let's think step by step\nThe slope is $\\frac{6-2}{3-1} = 2$, so $y - 2 = 2(x - 1)$, i.e. $y = 2x$.\n"
     "The answer is y=2x."), "2x", True),
    ("Let's think step by step\nWe have $(2x^3)^3 = 2^3(x^3)^3 = 8x^{3\\cdot3} = 8x^9$.\nThe answer is 8x^9.", "8x^9", True),
    ("Let's think step by step\nWe have $(2x^3)^3 = 8x^9$.\nThe answer is 8x^6.", "8x^9", False),
    (("Solution:\nThe sum of the interior angles of a hexagon is $180(6-2) = 720$ degrees, so each angle is "
     "$\\frac{720}{6} = \\boxed{120^\\circ}$."), "120", True),
    ("Solution:\nThe area is $\\frac12 \\cdot 40 \\cdot 42 = \\boxed{840}$ square inches.\nThe answer is 840",
     "840\\text{ square inches}", True),
    (("Let's think step by step\nOn Friday, she has $54 \\cdot 3 = 162$ paperclips.\n\nJasmine first has more than 100 "
     "paperclips on Friday. The answer is Friday."), "\\text{Friday}", True),
    (("Let's think step by step\nTo add the complex numbers we add real and imaginary parts: $(1+3i)+(2-4i) = 3 - i$."
     "\nThe answer is 3-i."), "3-i", True),
    ("Let's think step by step\nThe roots are $x=2$ and $x=-3$.\nThe answer is 2, -3.", "-3, 2", True),
    ("Let's think step by step\nThe roots are $x=2$ and $x=-3$.\nThe answer is 2, 3.", "-3, 2", False),
    ("Solution:\nCompleting the square, the center is $\\boxed{(3, -1)}$.", "(3,-1)", True),
    ("Solution:\nCompleting the square, the center is $\\boxed{(-1, 3)}$.", "(3,-1)", False),
    ("Solution:\nSo $x \\in \\boxed{[-2, 7)}$.", "[-2,7)", True), ("Solution:\nSo $x \\in \\boxed{[-2, 7]}$.", "[-2,7)", False),
    ("Solution:\nThe probability is $\\dfrac{5}{12}$, so the answer is $\\boxed{\\dfrac{5}{12}}$.", "\\frac{5}{12}", True),
    ("Solution:\nThe probability is $\\frac{5}{12} \\approx 0.417$, so the answer is $\\boxed{0.417}$.", "\\frac{5}{12}",
     False, "a rounded decimal is not the exact fraction"),
    ("Let's think step by step\n$\\sqrt{288} = \\sqrt{144 \\cdot 2} = 12\\sqrt{2}$.\nThe answer is 12\\sqrt{2}", "12\\sqrt{2}",
     True),
    (("Let's think step by step\nThe matrix is\n\\[\\begin{pmatrix} 2 & 0 \\\\ 0 & 2 \\end{pmatrix}.\\]\nThe answer is "
     "\\begin{pmatrix} 2 & 0 \\\\ 0 & 2 \\end{pmatrix}"), "\\begin{pmatrix} 2 & 0 \\\\ 0 & 2 \\end{pmatrix}", True),
    ("Solution:\nThe vector is $\\boxed{\\begin{pmatrix} 1 \\\\ -2 \\end{pmatrix}}$.",
     "\\begin{pmatrix} -2 \\\\ 1 \\end{pmatrix}", False),
    ("Solution:\nThe percent increase is $\\frac{15}{60} = 25\\%$. The answer is $\\boxed{25\\%}$.", "25", True),
    ("Solution:\nHe pays $\\$1{,}250.50$ in total, so the answer is $\\boxed{\\$1,\\!250.50}$.", "1250.50", True),
    ("Solution:\nIn base 2, $11 = 1011_2$, so the answer is $\\boxed{1011_2}$.", "1011_2", True),
    ("Solution:\nIn base 2, $11 = 1101_2$, so the answer is $\\boxed{1101_2}$.", "1011_2", False),
    ("Let's think step by step\nThe discriminant is negative, so there are no real roots.\nThe answer is no.",
     "\\text{No}", True),
    ("Let's think step by step\nThe function satisfies $f(-x) = -f(x)$, so it is odd.\nThe answer is odd.",
     "\\text{odd}", True),
    ("Let's think step by step\nThe function satisfies $f(-x) = f(x)$, so it is even.\nThe answer is even.",
     "\\text{odd}", False),
    ("Solution:\nThus $x = \\boxed{5}$ or $x = \\boxed{-1}$, i.e. the solutions are $\\boxed{5, -1}$.", "-1,5", True),
    ("Solution:\nThe inequality holds for $\\boxed{x < 3}$.", "(-\\infty, 3)", True),
    ("Solution:\nThe inequality holds for $\\boxed{x \\le 3}$.", "(-\\infty, 3)", False),
    ("Solution:\nWe find $z = \\boxed{2 - 3i}$.", "2-3i", True), ("Solution:\nWe find $z = \\boxed{2 + 3i}$.", "2-3i", False),
    ("Let's think step by step\nThe expression factors as $9(4 - x^2) = 9(2+x)(2-x)$.\nThe answer is 9(2+x)(2-x).",
     "9(2-x)(2+x)", True),
    ("Let's think step by step\nThe expression factors as $9(2+x)(2-x)$.\nThe answer is 9(2+x)(x-2).",
     "9(2-x)(2+x)", False),
    ("Solution:\nThere are $\\binom{6}{2} = 15$ ways.\n#### 15", "15", True),
    (("Janet's ducks lay 16 eggs per day. She eats 3 and bakes with 4, so she sells 16 - 3 - 4 = 9 eggs for $2 each, "
     "making 9 * 2 = $18 every day.\n#### 18"), "18", True),
    ("A robe takes 2 bolts of blue fiber and half that much white fiber, so 2 + 1 = 3 bolts.\n#### 3", "4", False),
    ("Let's think step by step\nThe time is 4:51:06 p.m.\nThe answer is 4:51:06 p.m.", "4\\!:\\!51\\!:\\!06 \\text{ p.m.}",
     True),
    ("Solution:\n\\begin{align*}\n2x + 3 &= 11 \\\\\nx &= 4\n\\end{align*}\nSo $x = \\boxed{4}$.", "4", True),
    ("Solution:\nThe largest such number is $\\boxed{999{,}999}$.", "999999", True),
    ("Solution:\nThe answer is $\\boxed{\\text{(B)}}$, since $12 > 10$.", "B", True),
    ("Solution:\nThe answer is $\\boxed{\\text{(B)}}$, since $12 > 10$.", "C", False),
    ("Let's think step by step\nThe final result is $\\frac{\\pi}{3}$ radians.\nThe answer is \\frac{\\pi}{3}.",
     "\\frac{\\pi}{3}", True),
    ("Let's think step by step\n...so the angle is $60^\\circ$.\nThe answer is 60^\\circ.", "60", True),
    ("Let's think step by step\nWe get $y = -\\frac{1}{2}x + 4$.\nThe answer is y = -\\frac{1}{2}x + 4.",
     "y=-\\frac12x+4", True),
    ("Let's think step by step\nWe get $y = -\\frac{1}{2}x + 4$.\nThe answer is y = \\frac{1}{2}x + 4.",
     "y=-\\frac12x+4", False),
])
_add("extraction", "response", [
    ("Since $\\mathbf{a}$ is a unit vector, $k = \\boxed{\\sqrt{2}}$ or $k = \\boxed{-\\sqrt{2}}.$", "\\sqrt{2}, -\\sqrt{2}",
     True, "boxes joined by 'or' form one answer"),
    ("Since $\\mathbf{a}$ is a unit vector, $k = \\boxed{\\sqrt{2}}$ or $k = \\boxed{-\\sqrt{2}}.$", "-\\sqrt{2}", False),
    ("Therefore, $\\text E. \\ \\ 231$ is not possible, and the answer is $\\boxed{\\text C. \\ \\ 119}$.", "119", True,
     "choice label in front of the value"),
    ("Therefore they will next all ring together at $\\boxed{05:00}$ pm.", "05\\!:\\!00", True),
    ("So, the answer is (F) Cone.", "\\text{(C)}", False), ("So, the answer is (C) Plane.", "\\text{(C)}", True),
    ("The ratio of the width to the length is $\\frac{4}{8}=\\boxed{\\frac{1}{2}}$.", "1 : 2", True),
    ("The ratio of their perimeters is $\\boxed{\\frac{6}{5}}$.", "5:6", False),
])
_add("text", "pred", [("8:34 PM", "8\\!:\\!34 \\text{ p.m.}", True), ("8:34", "8:43", False), ("3:4", "4:3", False),
                      ("2007+\\frac{\\pi}{2}", "2007 + \\frac\\pi 2", True)])
# Found where the Hendrycks normaliser said correct and mathdistill did not.
_add("units_currency_text", "pred", [
    ("12 \\text{ hours/week}", "12", True), ("2\\pi\\text{ m}", "2 \\pi", True), ("3\\text{ km/hr}", "3", True),
    ("9 \\text{ o'clock}", "9", True), ("\\pi\\text{ cubic inches}", "\\pi", True), ("-\\frac{1}{3}\\$", "-\\frac{1}{3}", True),
    ("\\text{black}, \\text{gray}", "\\text{gray}", False), ("2\\pi\\text{ m}", "\\pi", False),
])
_add("integer", "pred", [
    ("\\frac{1}{29,322,216}", "\\dfrac{1}{29,\\!322,\\!216}", True), ("81, 256", "81256", False, "comma-space is a list"),
    ("x = 81, 256", "81, 256", True), ("1, 000", "1000", False),
])
_add("extraction", "response", [
    ("The two angles are $\\boxed{30^\\circ}$ and $\\boxed{150^\\circ}$.", "150^\\circ", False, "two answers given"),
    ("So $x = \\boxed{20}$, i.e. $\\boxed{20}$.", "20", True),
])
_add("tuple_set_multi", "pred", [("81,256", "81, 256", True, "ambiguous comma read as the gold's list"),
                                 ("81,256", "256, 81", True), ("81,256", "81, 265", False)])
_add("tuple_set_multi", "pred", [("-1,-1", "-1", True, "a repeated root is one answer"), ("-1,1", "-1", False)])
_add("complex", "pred", [("-32 + 32 \\sqrt{3} i", "-32 + 32i \\sqrt{3}", True), ("-32 + 32 \\sqrt{3} i", "-32 - 32i \\sqrt{3}", False)])
# Pathological inputs must answer quickly (no sympy on sums / towers) and never raise.
_add("symbolic", "pred", [
    ("\\sum_{k = 0}^{n - 1} \\frac{k!}{(n - k)!}", "2^{n - 1}", False, "simplify() of this ran for minutes"),
    ("2^{2^{2^{2^{2^{10}}}}}", "5", False, "exponent tower is refused, not computed"),
    ("(" * 3000 + ")" * 3000, "1", False), ("\\frac{" * 300 + "1" + "}" * 300, "1", False),
])
_add("extraction", "response", [
    ("She makes 9 * 2 = $18 every day.\n#### $18", "18", True), ("The answer is $18.", "18", True),
    ("Each costs \\$5, so in total she pays \\$15.", "15", True),
])
_add("scientific", "pred", [
    ("6.02 \\times 10^{23}", "6.02\\cdot10^{23}", True), ("6.02 \\times 10^{23}", "6.02 \\times 10^{22}", False),
    ("1.2\\times10^{-5}", "0.000012", True), ("1.2\\times10^{-5}", "0.00012", False), ("3.0 \\times 10^{8}", "3e8", True),
])
_add("degrees", "pred", [
    ("135^\\circ", "135", True), ("135^{\\circ}", "45", False), ("\\angle ABC = 40^\\circ", "40", True),
    ("40^\\circ", "40^{\\circ}", True), ("-30^\\circ", "30", False),
])
_add("base", "pred", [
    ("1210_3", "1210_{3}", True), ("1210_3", "1201_3", False), ("FF_{16}", "ff_{16}", True), ("777_8", "777_{9}", False),
    ("101_2", "5", False, "digits compared, not values"),
])
_add("choice", "response", [
    ("Only option (D) satisfies all the constraints. The answer is \\textbf{(D)}.", "D", True),
    ("Only option (D) satisfies all the constraints. The answer is \\textbf{(D)}.", "\\text{(B)}", False),
    ("$\\boxed{\\textbf{(A)}\\ 5}$", "A", True), ("The correct choice is (C).", "C", True), ("Answer: (E)", "D", False),
])
