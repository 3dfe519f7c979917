"""Find the last \\boxed{...} / \\fbox{...} in LaTeX text with brace matching.

Handles nested braces, escaped braces (\\{ \\} do not count), and the brace-less
form `\\boxed 2` (the argument runs to the next whitespace, `$` or end). `final_boxes` joins the last
boxes of a text when only a connector separates them (`x = \\boxed{5}` or `x = \\boxed{-1}` -> `5, -1`);
`unclosed_last_box` tells when the last box never closes (a failed answer, not a fallback to numbers).
"""

from __future__ import annotations

import re

_BOX_RE = re.compile(r"\\(?:boxed|fbox)\b")


def last_boxed(text: str) -> str | None:
    """Content of the last complete \\boxed/\\fbox in `text`, or None."""
    for m in reversed(list(_BOX_RE.finditer(text))):
        content = _box_content(text, m.end())
        if content is not None:
            return content.strip()
    return None


def boxed_spans(text: str) -> list[tuple[int, int, str]]:
    """(start, end, content) of every complete \\boxed/\\fbox, in order (end is after the argument)."""
    out = []
    for m in _BOX_RE.finditer(text):
        content = _box_content(text, m.end())
        if content is not None:
            end = text.find(content, m.end()) + len(content) + (1 if text[m.end():].lstrip(" \t")[:1] == "{" else 0)
            out.append((m.start(), end, content.strip()))
    return out


def _box_content(text: str, i: int) -> str | None:
    n = len(text)
    j = i
    while j < n and text[j] in " \t":
        j += 1
    if j < n and text[j] == "{":
        depth, k = 0, j
        while k < n:
            c = text[k]
            if c == "\\" and k + 1 < n and text[k + 1] in "{}":
                k += 2
                continue
            if c == "{":
                depth += 1
            elif c == "}":
                depth -= 1
                if depth == 0:
                    return text[j + 1 : k]
            k += 1
        return None  # unbalanced: treat as no box
    if j > i:  # "\boxed 2": brace-less argument up to whitespace/$/end
        m = re.match(r"[^\s$]+", text[j:])
        if m:
            return m.group(0).rstrip(".,")
    return None


_GAP_RE = re.compile(r"^(?:,|;|or|and|\\text\{\s*(?:or|and)\s*\}|\\(?:quad|qquad))?$")
_GAP_JUNK_RE = re.compile(r"[$\s()]|\\[()\[\]]|(?:\\?[a-zA-Z]\w*(?:_\{?\w+\}?)?\s*=)")


def final_box_parts(text: str, spans: list[tuple[int, int, str]] | None = None) -> list[str]:
    """Contents of the last box and of the boxes before it that only or / and / commas / `x =` separate."""
    if spans is None:
        spans = boxed_spans(text)
    spans = [s for s in spans if s[2]]
    if not spans:
        return []
    parts = [spans[-1]]
    for prev in reversed(spans[:-1]):
        gap = _GAP_JUNK_RE.sub("", text[prev[1]: parts[0][0]])
        if not _GAP_RE.match(gap) or "=" in gap:
            break
        parts.insert(0, prev)
    return list(dict.fromkeys(p[2] for p in parts))  # `\\boxed{20}, \\boxed{20}` is one answer


def final_boxes(text: str, spans: list[tuple[int, int, str]] | None = None) -> str | None:
    """The last box; boxes joined only by or / and / commas / `x =` form one answer (`5, -1`)."""
    parts = final_box_parts(text, spans)
    return ", ".join(parts) if parts else None


def unclosed_last_box(text: str) -> bool:
    """True when the last `\\boxed{` / `\\fbox{` of `text` has no closing brace."""
    m = None
    for m in _BOX_RE.finditer(text):
        pass
    return m is not None and _box_content(text, m.end()) is None and text[m.end():].lstrip(" \t")[:1] == "{"
