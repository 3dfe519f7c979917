"""Every `methods.md <section>` citation in the repository resolves to a heading of docs/methods.md.

Pure text scanning: this test imports nothing from mathdistill.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
METHODS = ROOT / "docs" / "methods.md"
SCAN = [ROOT / "src", ROOT / "configs", ROOT / "docs", ROOT / "README.md"]
SUFFIXES = {".py", ".md", ".yaml", ".yml", ".toml", ".txt", ".cfg", ".ini", ".rst"}

# `## 3. Title`, `### 3.4 Title`, `### 4.15 Title` -> "3", "3.4", "4.15"
HEADING = re.compile(r"^#{1,6}\s+(\d+(?:\.\d+)*)\.?(?=\s)", re.M)

_REF = r"\d+(?:\.\d+)?"
# "methods.md 3.4", "methods.md section 4", "methods.md 3.3-3.6", "methods.md 3.4 and 4.15",
# "methods.md 3.1, 3.6", "[`docs/methods.md`](docs/methods.md) sections 1.5, 2.3, 3.2-3.7".
CITATION = re.compile(
    r"methods\.md[`\]]*(?:\((?:\.\./)*(?:docs/)?methods\.md\))?[,:]?\s+"
    r"(?:(?:sections?|§)\s*)?"
    rf"(?P<refs>{_REF}(?:\s*(?:-|–|,|and)\s*{_REF})*)"
)
RANGE_OR_REF = re.compile(rf"({_REF})(?:\s*[-–]\s*({_REF}))?")


def headings(text: str) -> set[str]:
    return set(HEADING.findall(text))


def expand(refs: str) -> list[str]:
    """'1.5, 2.3, 3.2-3.7' -> ['1.5', '2.3', '3.2', ..., '3.7']; '3.4 and 4.15' -> ['3.4', '4.15']."""
    out: list[str] = []
    for part in re.split(r"\s*(?:,|\band\b)\s*", refs.strip()):
        m = RANGE_OR_REF.fullmatch(part)
        if not m:
            continue
        lo, hi = m.group(1), m.group(2)
        if hi is None:
            out.append(lo)
            continue
        (lmaj, _, lmin), (hmaj, _, hmin) = lo.partition("."), hi.partition(".")
        if lmaj == hmaj and lmin and hmin and int(lmin) <= int(hmin):
            out.extend(f"{lmaj}.{i}" for i in range(int(lmin), int(hmin) + 1))
        else:
            out.extend([lo, hi])
    return out


def citations(text: str) -> list[tuple[int, str]]:
    """(line number, section) of every methods.md citation in `text`."""
    found = []
    for m in CITATION.finditer(text):
        line = text.count("\n", 0, m.start()) + 1
        found.extend((line, ref) for ref in expand(m.group("refs")))
    return found


def missing(text: str, known: set[str]) -> list[tuple[int, str]]:
    return [(line, ref) for line, ref in citations(text) if ref not in known]


def _files():
    for base in SCAN:
        paths = [base] if base.is_file() else sorted(base.rglob("*"))
        for p in paths:
            if not p.is_file() or p.suffix not in SUFFIXES:
                continue
            if any(part.endswith(".egg-info") or part == "__pycache__" for part in p.parts):
                continue
            yield p


# --- the checker itself can fail -------------------------------------------------------------


def test_parser_on_examples():
    known = headings("## 3. TDG\n### 3.4 NAT\n### 3.5 NCE\n## 4. Pitfalls\n### 4.15 NAT module\n")
    assert known == {"3", "3.4", "3.5", "4", "4.15"}
    assert expand("1.5, 2.3, 3.2-3.7") == ["1.5", "2.3", "3.2", "3.3", "3.4", "3.5", "3.6", "3.7"]
    assert [r for _, r in citations("see (methods.md 3.4 and 4.15).")] == ["3.4", "4.15"]
    assert [r for _, r in citations("Defaults follow methods.md section 4: x")] == ["4"]
    assert [r for _, r in citations("(methods.md 4, pitfall 2)")] == ["4"]
    assert [r for _, r in citations("[`docs/methods.md`](docs/methods.md) sections 1.5, 2.3")] == ["1.5", "2.3"]
    assert missing("TDG (methods.md 3.4)", known) == []
    assert missing("a\nb (methods.md 3.6)\n", known) == [(2, "3.6")]
    assert missing("ranges (methods.md 3.4-3.6)", known) == [(1, "3.6")]
    assert missing("bad (methods.md 9.99)", known) == [(1, "9.99")]


# --- the repository ------------------------------------------------------------------------


def test_methods_md_exists_with_numbered_sections():
    assert METHODS.is_file(), "docs/methods.md is missing"
    known = headings(METHODS.read_text(encoding="utf-8"))
    for top in ("0", "1", "2", "3", "4", "5"):
        assert top in known, f"docs/methods.md lacks section {top}"


def test_every_citation_resolves():
    known = headings(METHODS.read_text(encoding="utf-8"))
    total, bad = 0, []
    for path in _files():
        text = path.read_text(encoding="utf-8", errors="replace")
        total += len(citations(text))
        bad += [f"{path.relative_to(ROOT)}:{line}: methods.md {ref}" for line, ref in missing(text, known)]
    assert not bad, "citations of missing sections of docs/methods.md:\n" + "\n".join(bad)
    # Guard against the scanner silently matching nothing (e.g. after a regex change).
    assert total >= 20, f"only {total} methods.md citations found; is the scanner broken?"


def test_internal_section_references_resolve():
    text = METHODS.read_text(encoding="utf-8")
    known = headings(text)
    refs = re.findall(r"§\s*(\d+(?:\.\d+)?)", text)
    assert refs
    bad = sorted({r for r in refs if r not in known})
    assert not bad, f"docs/methods.md refers to missing sections: {bad}"


@pytest.mark.parametrize("path", [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))],
                         ids=lambda p: p.name)
def test_docs_do_not_point_outside_the_repo(path):
    for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if "methods.md" in line or "specs" in line.lower():
            assert "shared folder" not in line, f"{path.name}:{i} points to the shared folder: {line}"
