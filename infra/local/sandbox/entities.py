"""Message entities: Telegram's HTML parse mode (validated) and auto-detected commands."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any

from infra.local.sandbox.errors import bad_request

_SIMPLE_TAGS = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "code": "code",
    "pre": "pre",
}
_AUTO = re.compile(
    r"(?P<bot_command>(?<![\w/])/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?)"
    r"|(?P<mention>(?<![\w@])@[A-Za-z0-9_]{4,32})"
    r"|(?P<url>https?://[^\s<>\"]+)"
)


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


class _ParseError(Exception):
    pass


class _HtmlEntities(HTMLParser):
    def __init__(self, source: str) -> None:
        super().__init__(convert_charrefs=True)
        self._source = source
        self._line_starts = [0] + [m.end() for m in re.finditer("\n", source)]
        self.text: list[str] = []
        self._pos16 = 0
        self.stack: list[tuple[str, int, dict[str, str | None]]] = []
        self.entities: list[dict[str, Any]] = []

    def _byte_offset(self) -> int:
        line, col = self.getpos()
        index = self._line_starts[line - 1] + col
        return len(self._source[:index].encode("utf-8"))

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        self._pos16 += utf16_len(data)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        known = tag in _SIMPLE_TAGS or tag in ("a", "blockquote", "tg-emoji")
        if tag == "span" and attributes.get("class") == "tg-spoiler":
            known = True
        if not known:
            raise _ParseError(f'Unsupported start tag "{tag}" at byte offset {self._byte_offset()}')
        self.stack.append((tag, self._pos16, attributes))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        raise _ParseError(f'Unsupported start tag "{tag}" at byte offset {self._byte_offset()}')

    def handle_endtag(self, tag: str) -> None:
        if not self.stack:
            raise _ParseError(f"Unexpected end tag at byte offset {self._byte_offset()}")
        open_tag, start, attrs = self.stack.pop()
        if open_tag != tag:
            raise _ParseError(
                f"Unmatched end tag at byte offset {self._byte_offset()}, "
                f'expected "</{open_tag}>", found "</{tag}>"'
            )
        length = self._pos16 - start
        if length > 0:
            self.entities.append(self._entity(tag, start, length, attrs))

    @staticmethod
    def _entity(tag: str, start: int, length: int, attrs: dict[str, str | None]) -> dict[str, Any]:
        entity: dict[str, Any] = {"offset": start, "length": length}
        if tag == "a":
            entity.update(type="text_link", url=attrs.get("href") or "")
        elif tag == "blockquote":
            entity["type"] = "expandable_blockquote" if "expandable" in attrs else "blockquote"
        elif tag == "tg-emoji":
            entity.update(type="custom_emoji", custom_emoji_id=attrs.get("emoji-id") or "")
        elif tag == "span":
            entity["type"] = "spoiler"
        else:
            entity["type"] = _SIMPLE_TAGS[tag]
        return {"type": entity.pop("type"), **entity}


def parse_html(source: str) -> tuple[str, list[dict[str, Any]]]:
    """Return (plain text, entities) or raise 400 "can't parse entities" like Telegram."""
    parser = _HtmlEntities(source)
    try:
        parser.feed(source)
        parser.close()
        if parser.stack:
            raise _ParseError(
                f'Can\'t find end tag corresponding to start tag "{parser.stack[-1][0]}"'
            )
    except _ParseError as exc:
        raise bad_request(f"can't parse entities: {exc}") from exc
    parser.entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return "".join(parser.text), parser.entities


def auto_entities(text: str) -> list[dict[str, Any]]:
    """Entities the Telegram client detects by itself: bot commands, mentions, URLs."""
    found = []
    for match in _AUTO.finditer(text):
        kind = match.lastgroup or "url"
        found.append(
            {
                "type": kind,
                "offset": utf16_len(text[: match.start()]),
                "length": utf16_len(match.group()),
            }
        )
    return found


def format_text(text: str | None, parse_mode: str | None) -> tuple[str, list[dict[str, Any]]]:
    """sendMessage/editMessageText text + parse_mode → (text, entities), validated."""
    if parse_mode and parse_mode.upper() == "HTML":
        plain, entities = parse_html(text or "")
    elif parse_mode and parse_mode not in ("Markdown", "MarkdownV2"):
        raise bad_request(f"unsupported parse_mode {parse_mode}")
    else:  # Markdown is passed through unparsed (documented limitation)
        plain, entities = text or "", []
    if not plain.strip():
        raise bad_request("message text is empty")
    if utf16_len(plain) > 4096:
        raise bad_request("message is too long")
    covered = {(e["offset"], e["length"]) for e in entities}
    entities += [e for e in auto_entities(plain) if (e["offset"], e["length"]) not in covered]
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return plain, entities
