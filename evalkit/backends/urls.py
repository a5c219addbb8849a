"""Base URLs of HTTP backends: validation, the public form that is recorded, and credentials.

A base URL may carry secrets: user info (``https://user:pass@host``) and a query string
(``?api-key=...``). Only :func:`public_url` (scheme, host, port and path) is ever recorded or
shown; errors about a malformed URL never quote it, since a password holding ``/``, ``?``, ``#``
or ``@`` would split the URL in the wrong place and put part of it in the host or port.

Requests go to the URL without its user info (:class:`BaseUrl`): the API key, when set, is sent
as ``Authorization: Bearer``; otherwise user info becomes HTTP basic auth. The query string is
kept on every request, and its digest is part of the backend identity (two routes on one server
are two models to the response cache).
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit, urlunsplit

from evalkit.errors import ConfigError


def public_url(url: str) -> str:
    """Return ``url`` without credentials, query string or fragment (safe to record).

    >>> public_url("https://user:secret@host:8000/v1?key=abc")
    'https://host:8000/v1'
    """
    parts = urlsplit(url)
    host = parts.hostname or ""
    try:
        port = parts.port
    except ValueError:
        port = None
    netloc = f"{host}:{port}" if port else host
    return urlunsplit((parts.scheme, netloc, parts.path.rstrip("/"), "", ""))


def endpoint_url(base_url: str, path: str) -> str:
    """Return the URL of the API ``path`` under ``base_url``, keeping its query string.

    >>> endpoint_url("https://host/openai/v1/?api-version=2024-06-01", "/chat/completions")
    'https://host/openai/v1/chat/completions?api-version=2024-06-01'
    """
    parts = urlsplit(base_url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path.rstrip("/") + path, parts.query, ""))


ENCODE_HINT = "percent-encode '/', '?', '#' and '@' in a user name or password (e.g. %2F)"


def checked_url(url: str) -> str:
    """Return ``url`` if it is an ``http(s)://[user:pass@]host[:port]/...`` URL.

    Raises:
        ConfigError: naming what is wrong, never quoting the URL (it may hold credentials).
    """
    try:
        parts = urlsplit(url)
        port_ok = parts.port is None or parts.port >= 0  # reading .port raises on a bad port
    except ValueError as exc:
        # urllib's message may quote a piece of the URL ("... as 'pa'"): show it only if not
        quoted = "'" in str(exc) or '"' in str(exc)
        why = "the host or port does not parse" if quoted else str(exc)
        raise ConfigError(
            f"invalid --base-url (not shown, it may hold credentials): {why}; {ENCODE_HINT}"
        ) from None
    if "@" in parts.path:
        # "http://user:12/x@host/v1" parses as host "user", port 12: a password with a "/".
        raise ConfigError(f"invalid --base-url (not shown): '@' after the host; {ENCODE_HINT}")
    if parts.scheme not in ("http", "https") or not parts.hostname or not port_ok:
        raise ConfigError(
            f"invalid --base-url '{public_url(url)}': expected http(s)://HOST[:PORT]/PATH"
        )
    return url


@dataclass(frozen=True, slots=True)
class BaseUrl:
    """A checked base URL split into what is sent, what is recorded and what is secret.

    Attributes:
        request_base: The URL requests go to: no user info, query string kept.
        public: What is recorded and shown (:func:`public_url`).
        username: Decoded user name from the user info, if any.
        password: Decoded password from the user info, if any.
        query: The raw query string ('' when none).
    """

    request_base: str
    public: str
    username: str | None
    password: str | None
    query: str

    @classmethod
    def parse(cls, url: str) -> BaseUrl:
        """Check ``url`` and split it (see :func:`checked_url`)."""
        parts = urlsplit(checked_url(url))
        host = parts.hostname or ""
        shown_host = f"[{host}]" if ":" in host else host
        netloc = f"{shown_host}:{parts.port}" if parts.port is not None else shown_host
        return cls(
            request_base=urlunsplit((parts.scheme, netloc, parts.path, parts.query, "")),
            public=public_url(url),
            username=unquote(parts.username) if parts.username is not None else None,
            password=unquote(parts.password) if parts.password is not None else None,
            query=parts.query,
        )

    def route(self) -> str | None:
        """A digest of the query string (``None`` without one): tells two routes apart."""
        if not self.query:
            return None
        return (
            "sha256:" + hashlib.sha256(self.query.encode("utf-8", "surrogatepass")).hexdigest()[:16]
        )

    def auth_header(self, api_key: str | None) -> dict[str, str]:
        """The ``Authorization`` header: the API key as a bearer token, else user info as basic."""
        if api_key:
            return {"Authorization": f"Bearer {api_key}"}
        if self.username is not None or self.password is not None:
            pair = f"{self.username or ''}:{self.password or ''}".encode()
            return {"Authorization": "Basic " + base64.b64encode(pair).decode("ascii")}
        return {}

    def secrets(self) -> tuple[str | None, ...]:
        """What must never be shown: the password, the query string and the user name."""
        return (self.password, self.query or None, self.username)
