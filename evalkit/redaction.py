r"""Untrusted text made safe to store and to show: secrets redacted, terminal controls neutralised.

Servers echo what they were sent: an error body may quote the request URL (with its query string
or user info) or the ``Authorization`` header. :class:`Redactor` removes the secrets evalkit
knows (the API key, URL credentials, the base URL's query) and anything shaped like a bearer
token or URL credentials, before such text reaches ``samples.jsonl``, ``run.json`` or stderr.
:func:`printable` turns control and format characters (ANSI escape sequences, bidi overrides,
lone surrogates) into visible ``\x1b``-style escapes, so no server can drive the terminal.

>>> printable("ok\x1b[2Jdone")
'ok\\x1b[2Jdone'
>>> Redactor(("sk-123",)).redact("bad key sk-123; Authorization: Bearer xyz")
'bad key [redacted]; Authorization: [redacted]'
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

REDACTED = "[redacted]"
_AUTH = re.compile(r"(?i)\b(?:proxy-)?authorization\b\s*[:=]\s*(?:(?:bearer|basic|token)\s+)?\S+")
_BEARER = re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]{8,}")
_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^\s/?#@]*@")
_QUERY = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://[^\s?#]*)\?[^\s#]*")
MIN_SECRET_CHARS = 4
"""Shorter known secrets are not searched for (they would redact ordinary words)."""


def printable(text: str) -> str:
    r"""Return ``text`` with control, format and surrogate characters as visible escapes.

    Tabs and newlines are kept; everything in Unicode categories Cc, Cf, Cs, Co and Cn (ESC,
    BEL, bidi overrides, zero-width characters, lone surrogates) becomes ``\xNN``/``\uNNNN``.

    >>> printable("a\u202eb\tc")
    'a\\u202eb\tc'
    """
    if text.isprintable():
        return text
    return "".join(
        c if c in "\t\n" or unicodedata.category(c)[0] != "C" else _escape(c) for c in text
    )


def _escape(c: str) -> str:
    n = ord(c)
    return f"\\x{n:02x}" if n < 0x100 else f"\\u{n:04x}" if n < 0x10000 else f"\\U{n:08x}"


@dataclass(frozen=True, slots=True)
class Redactor:
    """Removes known secrets and secret-shaped text from untrusted messages.

    Attributes:
        secrets: Exact strings to remove wherever they appear (API key, URL password, query).
    """

    secrets: tuple[str, ...] = ()

    @classmethod
    def of(cls, secrets: Iterable[str | None]) -> Redactor:
        """Build a redactor from the secrets that are set (long ones first)."""
        kept = {s for s in secrets if s and len(s) >= MIN_SECRET_CHARS}
        return cls(tuple(sorted(kept, key=len, reverse=True)))

    def redact(self, text: str) -> str:
        """Return ``text`` without secrets, credentials in URLs, query strings or auth headers."""
        for secret in self.secrets:
            text = text.replace(secret, REDACTED)
        text = _AUTH.sub(f"Authorization: {REDACTED}", text)
        text = _BEARER.sub(lambda m: f"{m.group(1)} {REDACTED}", text)
        text = _USERINFO.sub(lambda m: f"{m.group(1)}{REDACTED}@", text)
        return _QUERY.sub(lambda m: f"{m.group(1)}?{REDACTED}", text)

    def safe(self, text: str, limit: int = 200) -> str:
        """Redact, flatten whitespace, neutralise controls and cut to ``limit`` characters."""
        flat = " ".join(self.redact(text).split())
        return printable(flat[:limit])


_SURROGATE = re.compile("[\ud800-\udfff]")


def escape_surrogates(json_text: str) -> str:
    r"""Write lone surrogates in serialised JSON as ``\udXXX`` escapes, so it encodes as UTF-8.

    A model's reply or a dataset row can hold lone surrogates (``"\ud800"`` in a JSON body):
    UTF-8 cannot encode them, JSON escapes can, and ``json.loads`` reads back the same string.
    Only valid inside JSON text (a surrogate can only occur inside a string literal there).

    >>> import json
    >>> text = escape_surrogates(json.dumps({"t": "a\ud800b"}, ensure_ascii=False))
    >>> text, json.loads(text.encode("utf-8")) == {"t": "a\ud800b"}
    ('{"t": "a\\ud800b"}', True)
    """
    if json_text.isascii():  # the usual case, checked far faster than the pattern scans
        return json_text
    try:
        json_text.encode("utf-8")
    except UnicodeEncodeError:
        return _SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", json_text)
    return json_text
