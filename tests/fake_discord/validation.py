"""Discord's limits on message bodies, so a bot that overflows them fails here as it
would against real Discord (HTTP 400 -> discord.HTTPException), not in production."""

from __future__ import annotations

from typing import Any

CONTENT_MAX = 2000
EMBEDS_MAX = 10
EMBED_TITLE_MAX = 256
EMBED_DESCRIPTION_MAX = 4096
EMBED_FIELDS_MAX = 25
FIELD_NAME_MAX = 256
FIELD_VALUE_MAX = 1024
FOOTER_TEXT_MAX = 2048
AUTHOR_NAME_MAX = 256
EMBEDS_TOTAL_MAX = 6000


def message_body_error(body: dict[str, Any], *, has_files: bool, require_content: bool = True) -> dict[str, Any] | None:
    """The JSON error Discord would answer for this message body, or None if valid.

    ``require_content`` is False for edits, which may change only some fields.
    """
    problems: dict[str, str] = {}
    content = body.get("content") or ""
    embeds = body.get("embeds") or []
    if len(content) > CONTENT_MAX:
        problems["content"] = f"Must be {CONTENT_MAX} or fewer in length."
    if len(embeds) > EMBEDS_MAX:
        problems["embeds"] = f"Must be {EMBEDS_MAX} or fewer in length."
    total = 0
    for index, embed in enumerate(embeds):
        total += _embed_problems(embed, f"embeds.{index}", problems)
    if total > EMBEDS_TOTAL_MAX:
        problems["embeds"] = f"Embed size exceeds maximum size of {EMBEDS_TOTAL_MAX}"
    if problems:
        return {
            "code": 50035,
            "message": "Invalid Form Body",
            "errors": {path: {"_errors": [{"code": "BASE_TYPE_BAD_LENGTH", "message": text}]} for path, text in problems.items()},
        }
    empty = not (content or embeds or has_files or body.get("sticker_ids") or body.get("components") or body.get("poll"))
    if require_content and empty:
        return {"code": 50006, "message": "Cannot send an empty message"}
    return None


def _embed_problems(embed: dict[str, Any], path: str, problems: dict[str, str]) -> int:
    """Record over-long parts of one embed; return its character count."""
    limits = [
        ("title", embed.get("title") or "", EMBED_TITLE_MAX),
        ("description", embed.get("description") or "", EMBED_DESCRIPTION_MAX),
        ("footer.text", (embed.get("footer") or {}).get("text") or "", FOOTER_TEXT_MAX),
        ("author.name", (embed.get("author") or {}).get("name") or "", AUTHOR_NAME_MAX),
    ]
    fields = embed.get("fields") or []
    if len(fields) > EMBED_FIELDS_MAX:
        problems[f"{path}.fields"] = f"Must be {EMBED_FIELDS_MAX} or fewer in length."
    for index, field in enumerate(fields):
        limits.append((f"fields.{index}.name", field.get("name") or "", FIELD_NAME_MAX))
        limits.append((f"fields.{index}.value", field.get("value") or "", FIELD_VALUE_MAX))
    size = 0
    for name, text, limit in limits:
        size += len(text)
        if len(text) > limit:
            problems[f"{path}.{name}"] = f"Must be {limit} or fewer in length."
    return size
