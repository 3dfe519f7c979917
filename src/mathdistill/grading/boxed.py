"""Find the last \\boxed{...} / \\fbox{...} in LaTeX text with brace matching.

Handles nested braces, escaped braces (\\{ \\} do not count), and the brace-less
form `\\boxed 2` (the argument runs to the next whitespace, `$` or end).
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
