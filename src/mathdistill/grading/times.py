"""Clock times: 12-hour (`3:30 p.m.`, `3:30 PM`, `3:30\\text{ pm}`) against 24-hour (`15:30`) forms.

A time with a.m./p.m. is a time of day. A bare `h:mm` with h <= 12 may be either half of the day
(`4:51:06` equals `4:51:06 p.m.`, as MATH golds often omit it), but two bare times compare as
written (`3:30` != `15:30`), and a bare hour above 12 is a 24-hour time (`15:30` != `3:30 a.m.`).
"""

from __future__ import annotations

import re

_JUNK_RE = re.compile(r"\\(?:text|mathrm|textrm|mbox)\s*\{([^{}]*)\}|\\[!,; ]|[\s~$]|\\\(|\\\)")
_TIME_RE = re.compile(r"^(\d{1,2}):(\d\d)(?::(\d\d))?(?:([ap])\.?m\.?)?$")
_DAY = 24 * 3600


def parse_time(raw: str) -> tuple[int, bool, int] | None:
    """(seconds after midnight, has a.m./p.m., hour as written), or None if `raw` is no clock time."""
    s = raw
    for _ in range(2):
        s = _JUNK_RE.sub(lambda m: m.group(1) or "", s)
    m = _TIME_RE.match(s.lower().rstrip("."))
    if not m:
        return None
    h, mi, sec = int(m.group(1)), int(m.group(2)), int(m.group(3) or 0)
    if mi > 59 or sec > 59:
        return None
    if m.group(4):
        if not 1 <= h <= 12:
            return None
        h24 = h % 12 + (12 if m.group(4) == "p" else 0)
        return (h24 * 60 + mi) * 60 + sec, True, h
    if h > 23:
        return None
    return (h * 60 + mi) * 60 + sec, False, h


def times_equal(a: str, b: str) -> bool | None:
    """Verdict when at least one side carries a.m./p.m. and both are times; None otherwise."""
    ta, tb = parse_time(a), parse_time(b)
    if ta is None or tb is None or not (ta[1] or tb[1]):
        return None
    if ta[1] and tb[1]:
        return ta[0] == tb[0]
    bare, day = (ta, tb) if tb[1] else (tb, ta)
    return bare[0] == day[0] or (1 <= bare[2] <= 12 and (bare[0] + _DAY // 2) % _DAY == day[0])
