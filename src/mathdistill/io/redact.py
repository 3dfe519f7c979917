"""Credentials out of everything written or logged: `https://user:pw@host/v1` -> `https://***@host/v1`.

A `--base-url` may carry a user and password (or a token as the user); configs, run.json,
results.json and log lines are shared and kept, so every writer of those passes its text or
mapping through here. Query parameters that look like secrets (`?api_key=...`) are masked too.
"""

from __future__ import annotations

import re
from typing import Any

MASK = "***"

# scheme://userinfo@ : userinfo is everything up to the last '@' before the host's first '/', '?' or '#'.
_USERINFO = re.compile(r"(?P<scheme>\b[A-Za-z][A-Za-z0-9+.-]*://)(?P<userinfo>[^\s/?#@'\"]+(?:@[^\s/?#@'\"]+)*)@")
_SECRET_PARAM = re.compile(r"(?P<key>[?&](?:api[_-]?key|key|token|access[_-]?token|secret|password|pw|sig|"
                           r"signature)=)(?P<value>[^&#\s'\"]+)", re.IGNORECASE)


def redact_text(text: str) -> str:
    """`text` with the credentials of every URL in it masked."""
    if "://" not in text and "=" not in text:
        return text
    text = _USERINFO.sub(lambda m: f"{m['scheme']}{MASK}@", text)
    return _SECRET_PARAM.sub(lambda m: f"{m['key']}{MASK}", text)


def redact(obj: Any) -> Any:
    """A copy of `obj` (mappings, lists, tuples, strings; anything else as is) with every string redacted."""
    if isinstance(obj, str):
        return redact_text(obj)
    if isinstance(obj, dict):
        return {redact(k) if isinstance(k, str) else k: redact(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [redact(v) for v in obj]
    if isinstance(obj, tuple):
        return tuple(redact(v) for v in obj)
    return obj
