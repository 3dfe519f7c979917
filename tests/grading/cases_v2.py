"""Grading 2.0 cases (issue 18): one category per kind of miss, each rule next to near-misses that must stay wrong.

Same row format as cases.py: (category, kind, text, gold, expected, note), plus `choices` (the options of a
multiple-choice question, passed to grade(..., choices=)) where a row gives them. kind "pred": `text` is a
bare final answer, checked with is_equivalent(text, gold) both ways; kind "response": `text` is a whole
model output (or a bare answer standing for one), checked with grade(text, gold, choices=).correct.
Written for this project; conventions they encode are in docs/grading.md.
"""

from __future__ import annotations

CASES: list[dict] = []


def _add(category: str, kind: str, rows: list[tuple]) -> None:
    for row in rows:
        text, gold, expected = row[:3]
        note = row[3] if len(row) > 3 else ""
        CASES.append({"category": category, "kind": kind, "text": text, "gold": gold, "expected": expected,
                      "note": note, "choices": None})


def _add_choices(category: str, choices, rows: list[tuple]) -> None:
    for row in rows:
        text, gold, expected = row[:3]
        CASES.append({"category": category, "kind": "response", "text": text, "gold": gold, "expected": expected,
                      "note": row[3] if len(row) > 3 else "", "choices": choices})


# 1. A response that is only an answer is taken whole ("whole" rule), whatever the form of the gold.
_add("bare_answers", "response", [
    ("x^2+2x+1", "(x+1)^2", True), ("x^2+2x", "(x+1)^2", False),
    ("\\sqrt{67}", "\\sqrt{67}", True), ("\\sqrt{76}", "\\sqrt{67}", False),
    ("10\\%", "10", True), ("10\\%", "1", False),
    ("\\frac{1}{2}", "0.5", True), ("\\frac{1}{2}", "2", False, "a bare fraction is not its denominator"),
    ("\\$23{,}000", "23000", True), ("\\$23{,}000", "23", False, "not the digits after the grouping comma"),
    ("E", "E", True), ("E", "\\text{(D)}", False),
    ("4", "\\frac{8}{2}", True, "a bare number against a gold that is no plain number"), ("4", "\\frac{9}{2}", False),
    ("$-\\frac{3}{4}$", "-0.75", True), ("$-\\frac{3}{4}$", "0.75", False),
    ("**12**", "12", True), ("12 apples", "12", True), ("12 apples", "21", False),
    ("Friday", "\\text{Friday}", True), ("Monday", "\\text{Friday}", False),
    ("(3, -1)", "(3,-1)", True), ("(-1, 3)", "(3,-1)", False),
    ("x = 5", "5", True), ("x = -5", "5", False), ("2, 3", "3, 2", True), ("2, 3", "3, 4", False),
    ("I give up", "\\frac{1}{2}", False, "prose is no bare answer"),
    ("f(-x+4)", "f(4 - x)", True), ("f(x+4)", "f(4 - x)", False),
])

# 2. Multiple-choice letters, a gold that carries the option text, and known choices.
_add("choice_letters", "response", [
    ("C", "C", True), ("C.", "C", True), ("**C**", "\\text{(C)}", True), ("(C)", "C", True),
    ("C", "D", False), ("**B**", "C", False),
    ("A. Because the slope is positive, the line rises.", "A", True),
    ("A. Because the slope is positive, the line rises.", "B", False),
    ("The answer: D, it can't be A", "D", True), ("The answer: D, it can't be A", "A", False),
    ("答案: C", "C", True), ("答案：B", "C", False),
    ("D", "(D) Alina", True, "letter against a gold with the option text"), ("(D) Alina", "(D) Alina", True),
    ("The answer is Alina.", "(D) Alina", True, "option text against a gold with its letter"),
    ("The answer is Bogdan.", "(D) Alina", False), ("B", "(D) Alina", False),
    ("I was tempted by (B), but the answer is (C).", "C", True),
    ("I was tempted by (B), but the answer is (C).", "B", False),
    ("Option A fails and so does B.\n\n**Answer: C**", "C", True),
])
_ABCD = ["Bogdan", "Chen", "Dara", "Alina"]
_add_choices("choice_letters", _ABCD, [
    ("The answer is Alina.", "D", True, "option text answers for its letter"),
    ("The answer is Chen.", "D", False),
    ("After comparing the four ages, Alina is the oldest.", "D", True),
    ("After comparing the four ages, Chen is the oldest.", "D", False),
])
_NUMS = {"A": "10", "B": "12", "C": "14", "D": "16"}
_add_choices("choice_letters", _NUMS, [
    ("The answer is (B).", "12", True, "a letter answers for its option text"), ("The answer is (C).", "12", False),
    ("So the total is $\\boxed{14}$.", "C", True), ("So the total is $\\boxed{12}$.", "C", False),
])

# 3. Relations: ASCII operators, linear forms, chains and unions, equivalent equations of a curve.
_add("relations", "pred", [
    ("x >= 3", "x \\geq 3", True), ("x >= 3", "x > 3", False),
    ("x <= -2", "(-\\infty,-2]", True), ("x <= -2", "(-\\infty,-2)", False),
    ("x != 1", "x \\neq 1", True), ("x \\ne 1", "(-\\infty,1)\\cup(1,\\infty)", True),
    ("x != 1", "(-\\infty,1]\\cup(1,\\infty)", False),
    ("-x > -1", "x < 1", True), ("-x > -1", "x > 1", False),
    ("2x + 1 \\le 7", "x \\le 3", True), ("2x + 1 \\le 7", "x < 3", False),
    ("-3x \\ge 6", "(-\\infty, -2]", True), ("-3x \\ge 6", "[-2, \\infty)", False),
    ("y = -x/2 + 3/4", "2x + 4y - 3 = 0", True), ("y = -x/2 + 3/4", "2x + 4y + 3 = 0", False),
    ("\\frac{x^2}{4} + \\frac{y^2}{9} = 1", "9x^2 + 4y^2 = 36", True),
    ("\\frac{x^2}{4} + \\frac{y^2}{9} = 1", "4x^2 + 9y^2 = 36", False),
    ("x < -1 \\text{ or } x > 2", "(-\\infty,-1)\\cup(2,\\infty)", True),
    ("x \\le -1 \\text{ or } x > 2", "(-\\infty,-1)\\cup(2,\\infty)", False),
    ("3 > x > -2", "(-2,3)", True), ("3 > x \\ge -2", "(-2,3)", False),
    ("-1 \\le 2x + 1 < 5", "[-1, 2)", True), ("-1 \\le 2x + 1 < 5", "[-1, 2]", False),
    ("a \\geqslant 0", "[0,\\infty)", True), ("a \\leqslant 0", "[0,\\infty)", False),
])

# 4. Several answers: several boxes in the response, and golds that hold several boxes.
_TWO_BOXES = "For $p = 2$ we get $\\boxed{(2,2)}$. For $p = 6$, the same argument gives $\\boxed{(6,2)}$."
_GOLD_TWO = "Factoring, $(x-2)(x+3) = 0$, so $x = \\boxed{2}$ or $x = \\boxed{-3}$."
_GOLD_FORMS = "So the meeting ends at $\\boxed{20\\!:\\!34}$ or $\\boxed{8\\!:\\!34 \\text{ p.m.}}$."
_add("several_answers", "response", [
    (_TWO_BOXES, "(6,2), (2,2)", True, "every distinct box counts against a gold with two answers"),
    (_TWO_BOXES, "(2,2)", False, "the last box alone answers a one-answer gold"),
    (_TWO_BOXES, "(2,2), (6,3)", False),
    ("The intersection points are $\\boxed{(2,2)}$ and $\\boxed{(6,2)}$.", "(2,2),(6,2)", True),
    ("The discriminant is $\\boxed{25}$, so the roots are $\\boxed{1}$ and $\\boxed{6}$.", "1, 6", True),
    ("The roots are $\\boxed{1}$. Checking, $x = 5$ works too: $\\boxed{5}$. And $\\boxed{7}$.", "1, 5", False,
     "an extra boxed value makes the list wrong"),
    ("\\boxed{-3, 2}", _GOLD_TWO, True, "a gold solution with two boxes has two answers"),
    ("\\boxed{2}", _GOLD_TWO, False), ("\\boxed{-3, 2, 4}", _GOLD_TWO, False),
    ("\\boxed{8:34 \\text{ p.m.}}", _GOLD_FORMS, True, "two boxes that write one time are one answer"),
    ("\\boxed{8:34 \\text{ a.m.}}", _GOLD_FORMS, False),
])

# 5. Sets, tuples and plus-minus.
_add("sets_tuples_pm", "pred", [
    ("\\pm 2021", "\\{-2021, 2021\\}", True), ("\\pm 2021", "\\{2021\\}", False), ("2021", "\\{-2021, 2021\\}", False),
    ("(11,7) \\text{ or } (7,11)", "(7,11), (11,7)", True), ("(11,7)", "(7,11), (11,7)", False),
    ("(1,2); (3,4)", "\\{(3,4), (1,2)\\}", True), ("(1,2); (3,5)", "(1,2), (3,4)", False),
    ("p=5, q=2; p=7, q=2", "(5,2), (7,2)", True, "`;` separates the solutions"),
    ("p=5, q=2; p=7, q=3", "(5,2), (7,2)", False),
    ("x = \\pm\\sqrt{3}", "\\sqrt3, -\\sqrt3", True), ("x = \\pm\\sqrt{3}", "\\sqrt3", False),
    ("a=1, b=2", "(1,2)", True), ("a=2, b=1", "(1,2)", False),
])

# 6. Digit grouping.
_add("digit_grouping", "pred", [
    ("1 000", "1000", True), ("1 000", "100", False), ("11,\\! 111", "11111", True), ("11,\\! 111", "1111", False),
    ("32,\\! 349", "32349", True), ("32,\\! 349", "3249", False), ("14{,}916", "14916", True),
    ("14{,}916", "14.916", False), ("1\\,000\\,000", "10^6", True),
])
_add("digit_grouping", "response", [
    ("The result is 1,000.", "1000", True), ("The result is 1,000.", "1", False),
    ("The total is 12,345 dollars.", "12345", True), ("The total is 12,345 dollars.", "345", False),
])

# 7. Percent with a space or a word.
_add("percent_words", "pred", [
    ("28 %", "28\\%", True), ("28 percent", "28", True), ("28 percent", "0.28", True), ("28 %", "2.8", False),
    ("28 per cent", "28\\%", True), ("82 percent", "28", False),
])
_add("percent_words", "response", [
    ("**25%**", "25", True), ("**25%**", "2.5", False), ("The answer is 28 percent.", "28\\%", True),
    ("The rate went up by 28 %.", "28", True), ("The rate went up by 28 %.", "0.82", False),
])

# 8. An equation as the gold: its right side alone is not the answer.
_add("equation_golds", "pred", [
    ("0", "a + 3z = 0", False, "an equation answer is not its right side"), ("0", "2x - y + 3z + 8 = 0", False),
    ("a + 3z = 0", "a + 3z = 0", True), ("3z + a = 0", "a+3z=0", True), ("2a + 6z = 0", "a+3z=0", True),
    ("a - 3z = 0", "a + 3z = 0", False), ("3", "y = 3", True), ("3", "y = 4", False),
    ("a + 2d = 3", "3", True, "a named quantity with its value"),
])

# 9. Long or unfinished responses.
_add("long_unfinished", "response", [
    ("She has 3 apples and buys 4 more, so 7 apples.<|im_end|>\n<|im_start|>user\nNow what is 5+4?", "7", True,
     "the next chat turn is not part of the answer"),
    ("She has 3 apples and buys 4 more, so 7 apples.<|im_end|>\n<|im_start|>user\nNow what is 5+4?", "9", False),
    ("First, 12 x 4 = 48. Then we need to<|im_start|>user\nWhat is 6 x 9? 54", "54", False),
    ("Final Answer: The volume of the box is 120", "120", True), ("Final Answer: The volume of the box is 120", "12",
                                                                  False),
    ("Each block has $\\boxed{255}$ tiles. Adding the forty-one blocks, the final answer is $10,455$.", "10455",
     True, "a later explicit final answer wins over an earlier box"),
    ("Each block has $\\boxed{255}$ tiles. Adding the forty-one blocks, the final answer is $10,455$.", "255",
     False),
    ("$\\boxed{12}$. I hope the final answer is correct.", "12", True, "a word after the marker is no answer"),
    ("<think>Maybe 5? No: 2+2=4.</think>\nThe answer is 4.", "4", True),
    ("<think>Maybe 5? No: 2+2=4.</think>\nThe answer is 4.", "5", False),
    ("<think>Let me compute 2+2. It is 4, so \\boxed{4}", "4", False, "the thinking never ended"),
    ("<think>2+2 is 4.</think>\n\n$\\boxed{4}$", "4", True),
])

# Issue 23: an unclosed box is a failed extraction, never a fallback to the last number.
_add("unclosed_box", "response", [
    ("So the answer is $\\boxed{\\frac{1}{2}.", "2", False), ("So the answer is $\\boxed{\\frac{1}{2}.", "\\frac12",
                                                              False),
    ("We get $\\boxed{\\frac{1}{2}.", "2", False, "issue 23: was read as its last number"),
    ("$\\boxed{2^{10", "10", False), ("$\\boxed{2^{10}}$", "1024", True),
    ("First $\\boxed{3}$, then, correcting it, $\\boxed{4", "3", False), ("So $\\boxed{\\frac{1}{2}}$.", "0.5", True),
    ("The answer is \\boxed 5 and we are done", "5", True, "a brace-less box is complete"),
])

# 10. The same value written another way.
_add("equivalence", "pred", [
    ("0.8660254037844386", "\\frac{\\sqrt3}{2}", True, "Python's repr of the float"),
    ("0.8660254037845386", "\\frac{\\sqrt3}{2}", False),
    ("2.31\\times10^{-3}", "\\frac{1}{432}", True, "scientific notation rounds to its significant digits"),
    ("2.32\\times10^{-3}", "\\frac{1}{432}", False), ("2.3\\times10^{-3}", "\\frac{1}{432}", False),
    ("20:34:00", "20:34", True), ("20:34:30", "20:34", False),
    ("\\sin(90^\\circ - x)", "\\cos x", True), ("\\sin(90 - x)", "\\cos x", False),
    ("\\cos 60^\\circ", "\\frac12", True), ("\\cos 60", "\\frac12", False, "radians: no silent conversion"),
    ("\\cfrac{1}{2}", "0.5", True), ("\\cfrac{1}{1+\\cfrac{1}{2}}", "\\frac23", True), ("\\cfrac{2}{1}", "\\frac12", False),
    ("\\frac{\\sqrt{91}}{3} \\approx 3.18", "\\frac{\\sqrt{91}}{3}", True),
    ("\\frac{\\sqrt{90}}{3} \\approx 3.16", "\\frac{\\sqrt{91}}{3}", False),
    ("\\frac{\\sqrt{91}}{3} \\approx 3.18", "3.18", True), ("\\frac{\\sqrt{91}}{3} \\approx 3.18", "3.2", False),
])

# 11. Answer markers in other languages, with unit and currency words.
_add("other_languages", "response", [
    ("答案：25", "25", True), ("答案：25", "52", False), ("答案是 25 元", "25", True), ("答案是 25 元", "2.5", False),
    ("所以答案为 $\\frac{1}{2}$。", "0.5", True), ("Réponse : 12 euros", "12", True), ("Réponse : 12 euros", "21", False),
    ("Donc la réponse est 12.", "12", True), ("Antwort: 7 Äpfel", "7", True), ("Antwort: 7 Äpfel", "17", False),
    ("Die Antwort lautet 7.", "7", True), ("Respuesta: 15 manzanas", "15", True), ("Ответ: 42", "42", True),
    ("Ответ: 42", "24", False),
    ("答案：25。验证：25 + 5 = 30。", "25", True, "the marker, not the last number"), ("答案：25。验证：25 + 5 = 30。", "30", False),
    ("Réponse : $\\frac{1}{2}$ (vérification : 1/2 + 1/2 = 1)", "\\frac12", True),
    ("Réponse : $\\frac{1}{2}$ (vérification : 1/2 + 1/2 = 1)", "1", False),
    ("Antwort: 7 Äpfel, denn 3 + 4 = 7 und 7 + 1 = 8.", "7", True),
    ("Antwort: 7 Äpfel, denn 3 + 4 = 7 und 7 + 1 = 8.", "8", False),
    ("La respuesta es 15 manzanas; comprobamos que 15 - 5 = 10.", "15", True),
    ("Ответ: 42. Проверка: 6 * 7 = 42, 42 + 1 = 43.", "42", True),
])

# 12. Pathological inputs answer quickly in process (refused, or cut by the time bound).
_add("pathological", "pred", [
    ("2^{\\frac{1}{2^{1000}}}", "1", False), ("1", "2^{\\frac{1}{2^{1000}}}", False),
    ("2^{\\frac{1}{2^{1000}}}", "2^{\\frac{1}{2^{1000}}}", True),
    ("x^{2^{100}}", "x", False), ("(x+1)^{3}", "x^3+3x^2+3x+1", True), ("(x+1)^{3}", "x^3+3x^2+3x", False),
])
