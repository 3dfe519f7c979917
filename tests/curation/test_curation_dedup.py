"""Dedup rules on hand-made paths whose outcome was worked out by hand."""

from __future__ import annotations

from mathdistill.curation import dedup


def test_exact_and_whitespace_dedup_keeps_first_per_problem():
    items = [("p", "a  b"), ("p", "a b"), ("p", "a\nb "), ("p", "ab"), ("q", "a b")]
    kept, dropped = dedup.dedup_exact(items, key=lambda x: x)
    # "a  b", "a b", "a\nb " normalise to "a b": one kept; "ab" differs; q is another problem.
    assert kept == [("p", "a  b"), ("p", "ab"), ("q", "a b")]
    assert dropped == 2


def test_safe_arith_accepts_arithmetic_only():
    assert dedup.safe_arith("2+3*4") == 14
    assert dedup.safe_arith("2**3 - (1/4)") == 7.75
    assert dedup.safe_arith("-7 % 3") == 2
    for bad in (
        "__import__('os').system('true')",
        "abs(-1)",
        "x+1",
        "(1, 2)",
        "[1]",
        "'a'*3",
        "1/0",
        "9**9**9",
        "10**100",
        "1" * 300,
        "True+1",
        "lambda: 1",
    ):
        assert dedup.safe_arith(bad) is None, bad


def test_equation_holds_like_rft():
    assert dedup.equation_holds("3*4=12") is True
    assert dedup.equation_holds("3*4=13") is False
    assert dedup.equation_holds("1/3=0.3333") is True  # |diff| < 1e-3
    assert dedup.equation_holds("2/3=0.66") is False  # RFT's absolute 1e-3 tolerance
    assert dedup.equation_holds("x=5") is None  # not arithmetic: not checkable
    assert dedup.equation_holds("1,000+1=1,001") is True


def test_signature_latex_and_calculator_annotations():
    text = "We have $2 + 3 = 5$ and $x$ so $x \\left( 1 \\right) = 7$.\n\\[y=\\dfrac{1}{2}\\] and $$z$$"
    assert dedup.equations(text) == ["2+3=5", "x(1)=7", "y=\\frac{1}{2}"]
    assert dedup.signature(text) == "2+3=5|x(1)=7|y=\\frac{1}{2}"
    # GSM8K-style calculator annotations take precedence (RFT's exact rule).
    assert dedup.signature("He pays 2*3=<<2*3=6>>6 and $1+1=2$ <<6 + 1=7>>") == "2*3=6|6+1=7"
    assert dedup.signature("no maths here") == ""
    # GSM8K-style plain text: its arithmetic; "$" as currency is not LaTeX.
    assert dedup.equations(
        "She has $5 + $3 = $8. Then 16 - 3 - 4 = 9 eggs, 9 × 2 = 18. So 1,000 + 1 = 1,001."
    ) == ["5+3=8", "16-3-4=9", "9*2=18", "1000+1=1001"]
    assert dedup.equations("It costs $5. She pays 2 * 3 = 6 dollars and has $10.") == ["2*3=6"]
    assert dedup.path_is_valid("Janet sells 16 - 3 - 4 = 10 eggs.") is False


def test_path_validity_checks_checkable_equations_only():
    assert dedup.path_is_valid("So $3 \\times 4 = 12$.") is True
    assert dedup.path_is_valid("So $3 \\times 4 = 13$.") is False
    assert dedup.path_is_valid("$\\frac{1}{2} = 0.5$ and $2^{3} = 8$") is True
    assert dedup.path_is_valid("$2^3 = 9$") is False
    assert dedup.path_is_valid("$x = 3$, $f(x) = x^2$") is True  # not arithmetic: unchecked
    assert dedup.path_is_valid("$1+1=2=3$") is False  # chains are checked link by link
    assert dedup.path_is_valid("<<2*3=7>> then $1=1$") is False
    # Several equations in one segment are checked one by one, not as one chain.
    assert dedup.path_is_valid("$2+2=4, 3+3=6$") is True
    assert dedup.path_is_valid("\\[(3 \\cdot 2)^3 = 216, \\quad (3 \\cdot 3)^3 = 5832\\]") is False
    assert dedup.path_is_valid("$a=3 \\text{ and } 2+2=5$") is False
    # Not arithmetic errors: a base-2 subscript, an integer quotient with a remainder, units.
    assert dedup.path_is_valid("$11111111_2 = 255$") is True
    assert dedup.path_is_valid("$100/3 = 33$ remainder 1") is True
    assert dedup.path_is_valid("$279 \\div 125 = 2 \\text{ R } 29$") is True
    assert dedup.path_is_valid("$2+2=5\\text{ apples}$") is True


def test_rft_farthest_selection_by_hand():
    a = "$1+1=2$"  # signature 1+1=2
    b = "$2+2=4$"  # signature 2+2=4; Lev(a, b) = 3 (three substitutions)
    c = "$1+1=2$ xxxxx"  # same signature as a; Lev(c, b) = 3 + 6 = 9 > Lev(a, b): c replaces a
    d = "$2+2=4$!"  # same signature as b; R = {c}: Lev(b, c) = 9, Lev(d, c) = 9: not strictly farther, b stays
    g = "$3 \\times 4 = 13$"  # invalid arithmetic: dropped
    kept, counts = dedup.rft_select([a, b, c, d, g], text=lambda s: s)
    assert kept == [c, b]
    assert counts == {"invalid": 1, "same_signature": 2, "replaced": 1}
    # Without the equation check g is kept as its own signature.
    kept2, _ = dedup.rft_select([a, b, g], text=lambda s: s, check_equations=False)
    assert kept2 == [a, b, g]


def test_rft_keeps_one_path_without_equations():
    kept, counts = dedup.rft_select(["no equations", "none either, longer text"], text=lambda s: s)
    # Both have the empty signature; R is empty so both scores are 0: the first stays.
    assert kept == ["no equations"]
    assert counts["same_signature"] == 1 and counts["replaced"] == 0


def test_rft_calculator_annotations_are_held_to_rfts_rule():
    """RFT drops a path whose `<<...>>` annotation has no "=" or does not evaluate (issue 17);
    LaTeX paths keep the lenient rule (unevaluable equations are not checked)."""
    assert dedup.path_is_valid("He has 3+4=<<3+4=7>>7 apples.") is True
    assert dedup.path_is_valid("She pays <<1,000+1=1,001>>1,001.") is True
    assert dedup.path_is_valid("He has <<3+4>>7 apples.") is False  # no "="
    assert dedup.path_is_valid("Twice as many: <<x*2=8>>8.") is False  # does not evaluate
    assert dedup.path_is_valid("<<2+2=4>> then <<eggs=5>>") is False
    assert dedup.path_is_valid("<<100/3=33>> boxes") is False  # no integer-quotient leniency here
    assert dedup.path_is_valid("<<2=2=2>>") is False  # RFT: float("2=2") fails
    assert dedup.path_is_valid("$x = 3$, $f(x) = x^2$") is True
    kept, counts = dedup.rft_select(["<<3+4>>7", "<<3+4=7>>7"], text=lambda s: s)
    assert kept == ["<<3+4=7>>7"] and counts["invalid"] == 1
