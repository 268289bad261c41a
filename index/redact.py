"""Credentials are never shown: not in a message, a log line, a Discord reply or the index on disk.

`QDRANT_URL` may carry a user and password (`https://user:pass@host`) or a key in its query
(`?api_key=...`), and `QDRANT_API_KEY` is a secret of its own. Messages show the URL as `public_url`
gives it, and `redact` masks every known secret wherever it appears in a text (a client library's
exception may quote the URL it was given).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

if TYPE_CHECKING:
    from index.config import Settings

MASK = "***"
SECRET_QUERY_WORDS = ("key", "token", "secret", "password", "passwd", "auth", "signature", "credential")
"""A query parameter whose name holds one of these carries a secret."""
MIN_SECRET_CHARS = 3
"""Shorter secrets are masked inside URLs but not searched for in free text (they would mask words)."""


def public_url(url: str) -> str:
    """`url` with the user, password and secret query values masked; the scheme, host, port and path kept."""
    if not url:
        return url
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port else ""
    except ValueError:  # not a URL at all: show nothing of it
        return MASK
    netloc = (f"{MASK}@" if parts.username or parts.password else "") + host + port
    query = urlencode([(k, MASK if _secret_name(k) else v) for k, v in parse_qsl(parts.query, keep_blank_values=True)],
                      safe="*")
    return urlunsplit((parts.scheme, netloc, parts.path, query, ""))


def secrets_of(settings: Settings) -> list[str]:
    """Every secret the settings hold, longest first: the API key, and the URL's password, user and
    password together, secret query values and the URL itself. A user name alone is not searched for
    in free text (it is often a word such as the collection's name); URLs show it masked."""
    found = {settings.qdrant_api_key, settings.qdrant_url}
    url = settings.qdrant_url
    if url:
        try:
            parts = urlsplit(url)
            found |= {parts.password or "", parts.netloc if "@" in parts.netloc else ""}
            found |= {v for k, v in parse_qsl(parts.query) if _secret_name(k)}
        except ValueError:
            pass
    return sorted((s for s in found if len(s) >= MIN_SECRET_CHARS), key=len, reverse=True)


def redact(text: str, settings: Settings) -> str:
    """`text` with the URL shown as `public_url` and every other secret of the settings masked."""
    url = settings.qdrant_url
    if url and url in text:
        text = text.replace(url, public_url(url))
    for secret in secrets_of(settings):
        text = text.replace(secret, MASK)
    return text


class RedactingFilter(logging.Filter):
    """A log filter that masks the settings' secrets in every record it passes (put it on handlers)."""

    def __init__(self, settings: Settings) -> None:
        super().__init__()
        self.settings = settings

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message, self.settings)
        if cleaned != message:
            record.msg, record.args = cleaned, ()
        if record.exc_info and record.exc_text is None and record.exc_info[1] is not None:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info), self.settings)
        return True


def _secret_name(name: str) -> bool:
    return any(word in name.lower() for word in SECRET_QUERY_WORDS)
