"""Credentials in QDRANT_URL and QDRANT_API_KEY never shown: URLs masked, secrets masked anywhere in a
text, and log records (message and traceback) filtered."""

from __future__ import annotations

import logging

from index.config import Settings
from index.dense.stores import incompatibility
from index.redact import RedactingFilter, public_url, redact

URL = "https://admin:hunter2-pw@db.example.com:6333/base?api_key=qk-123456&timeout=5"
SETTINGS = Settings(vector_store="qdrant", qdrant_url=URL, qdrant_api_key="ak-987654")


def test_public_url_keeps_where_and_masks_who():
    assert public_url(URL) == "https://***@db.example.com:6333/base?api_key=***&timeout=5"
    assert public_url("http://localhost:6333") == "http://localhost:6333"
    assert public_url("") == ""


def test_every_secret_is_masked_anywhere_in_a_text():
    text = f"failed at {URL}; auth hunter2-pw / qk-123456 with key ak-987654 for admin"
    shown = redact(text, SETTINGS)
    assert not any(secret in shown for secret in ("hunter2-pw", "qk-123456", "ak-987654"))
    assert "https://***@db.example.com:6333/base" in shown and shown.endswith("for admin")


def test_log_records_and_tracebacks_are_filtered():
    record = logging.LogRecord("qdrant", logging.ERROR, __file__, 1, "connecting to %s", (URL,), None)
    try:
        raise ConnectionError(f"refused: {URL}")
    except ConnectionError as exc:
        record.exc_info = (type(exc), exc, exc.__traceback__)
    RedactingFilter(SETTINGS).filter(record)
    formatted = logging.Formatter().format(record)
    assert "hunter2-pw" not in formatted and "qk-123456" not in formatted and "db.example.com" in formatted


def test_the_manifest_record_and_its_messages_hold_no_credentials():
    record = {"backend": "qdrant", "kind": "qdrant-server", "url": public_url(URL), "levels": {}}
    assert incompatibility(record, SETTINGS) == "", "a masked record still matches its server"
    other = Settings(vector_store="qdrant", qdrant_url="https://admin:hunter2-pw@other.example.com")
    message = incompatibility(record, other)
    assert "other.example.com" in message and "hunter2-pw" not in message
