"""A visit note's Markdown as the briefing shows it: rendered, not raw, and capped.

Notes are Markdown as Qt's editor writes it (db.field.notes): "## headings", "- bullets",
"1. steps", "- [ ] checkboxes", **bold** and *italic*. This renders that subset into the
HTML Qt's rich text knows, escaping everything first, so a note can never inject markup.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from html import escape

NOTE_BLOCKS = 8  # paragraphs, headings and list items shown before "more in the note"
NOTE_CHARS = 700  # characters of text shown before "more in the note"
MORE = "more in the note"

_HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
_CHECKBOX = re.compile(r"^\s*[-*+]\s+\[([ xX])\]\s+(.*)$")
_BULLET = re.compile(r"^\s*[-*+]\s+(.*)$")
_NUMBERED = re.compile(r"^\s*(\d{1,9})[.)]\s+(.*)$")
_RULE = re.compile(r"^\s*([-*_])(\s*\1){2,}\s*$")
_BOLD = re.compile(r"\*\*(.+?)\*\*|__(.+?)__")
_ITALIC = re.compile(r"(?<![\w*])\*(?!\s)(.+?)(?<!\s)\*(?!\*)|(?<!\w)_(?!\s)(.+?)(?<!\s)_(?!\w)")
_CODE = re.compile(r"`([^`]+)`")
_LINK = re.compile(r"\[([^\]]+)\]\([^)]*\)")
_ESCAPED = re.compile(r"\\([\\`*_{}\[\]()#+\-.!|])")
# A list's tag and its style: a checkbox list shows its boxes instead of bullets.
_LISTS = {
    "bullet": ("ul", ""),
    "number": ("ol", ""),
    "check": ("ul", " list-style-type:none; margin-left:-12px"),
}
# Qt's template puts a no-break space under each heading for the rep's text to go: a
# paragraph holding only that (or nothing) is no content.
_BLANK = "\u00a0"


@dataclass(frozen=True, slots=True)
class _Block:
    kind: str  # "heading", "para", "bullet", "number", "check"
    text: str  # the Markdown of its text
    mark: str = ""  # a numbered item's number, a checkbox's "x" or " "


def note_html(markdown: str, blocks: int = NOTE_BLOCKS, chars: int = NOTE_CHARS) -> str:
    """The note as HTML, its first `blocks` blocks and `chars` characters, and "… more in
    the note" if it is longer. Headings read as bold lines, not as titles in the page."""
    parsed = _drop_empty_sections(_blocks(markdown))
    capped = len(parsed) > blocks
    parts: list[str] = []
    used = 0
    open_list = ""
    for block in parsed[:blocks]:
        text = _plain(block.text)
        last = used + len(text) > chars
        if last:  # the last block shown, ending at a word
            cut = text[: max(chars - used - 2, 0)].rsplit(" ", 1)[0].rstrip(",;:.")
            block = _Block(block.kind, _escape_markdown(cut) + " …", block.mark)
            capped = True
        list_kind = block.kind if block.kind in _LISTS else ""
        if list_kind != open_list:
            if open_list:
                parts.append(f"</{_LISTS[open_list][0]}>")
            if list_kind:
                tag, style = _LISTS[list_kind]
                parts.append(f"<{tag} style='margin-top:0; margin-bottom:0;{style}'>")
            open_list = list_kind
        parts.append(_render(block))
        used += len(text)
        if last:
            break
    if open_list:
        parts.append(f"</{_LISTS[open_list][0]}>")
    if capped:
        parts.append(f"<p class='muted'><i>… {MORE}</i></p>")
    return "".join(parts)


def _blocks(markdown: str) -> list[_Block]:
    """Blocks in order; a paragraph's wrapped lines are joined."""
    found: list[_Block] = []
    paragraph: list[str] = []

    def end_paragraph() -> None:
        if paragraph:
            found.append(_Block("para", " ".join(line.strip() for line in paragraph)))
            paragraph.clear()

    for line in markdown.replace("\r\n", "\n").split("\n"):
        if not line.strip() or _RULE.match(line):
            end_paragraph()
            continue
        heading = _HEADING.match(line)
        check = _CHECKBOX.match(line)
        bullet = _BULLET.match(line)
        numbered = _NUMBERED.match(line)
        if heading:
            end_paragraph()
            found.append(_Block("heading", heading.group(2)))
        elif check:
            end_paragraph()
            found.append(_Block("check", check.group(2), check.group(1).lower()))
        elif bullet:
            end_paragraph()
            found.append(_Block("bullet", bullet.group(1)))
        elif numbered:
            end_paragraph()
            found.append(_Block("number", numbered.group(2), numbered.group(1)))
        elif (
            line.startswith(("  ", "\t"))
            and found
            and found[-1].kind != "heading"
            and not paragraph
        ):
            last = found[-1]  # a list item's continued line
            found[-1] = _Block(last.kind, f"{last.text} {line.strip()}", last.mark)
        else:
            paragraph.append(line)
    end_paragraph()
    return [b for b in found if b.text.strip(f" {_BLANK}")]


def _drop_empty_sections(blocks: list[_Block]) -> list[_Block]:
    """No heading with nothing under it (before the next heading of its level or higher),
    and no heading repeating what the briefing already says ("Visit report: Acme…")."""
    kept = []
    for number, block in enumerate(blocks):
        if block.kind == "heading":
            following = blocks[number + 1] if number + 1 < len(blocks) else None
            if following is None or following.kind == "heading":
                continue
            if block.text.startswith("Visit report"):
                continue
        kept.append(block)
    return kept


def _render(block: _Block) -> str:
    text = _inline(block.text)
    if block.kind == "heading":
        return f"<p style='margin-top:4px'><b>{text}</b></p>"
    if block.kind == "check":
        box = "☑" if block.mark == "x" else "☐"
        return f"<li>{box} {text}</li>"
    if block.kind in ("bullet", "number"):
        return f"<li>{text}</li>"
    return f"<p>{text}</p>"


def _inline(markdown: str) -> str:
    """Escaped text with bold, italic and code; links read as their words."""
    text = escape(_LINK.sub(r"\1", markdown), quote=False)
    text = _CODE.sub(r"<code>\1</code>", text)
    text = _BOLD.sub(lambda m: f"<b>{m.group(1) or m.group(2)}</b>", text)
    text = _ITALIC.sub(lambda m: f"<i>{m.group(1) or m.group(2)}</i>", text)
    return _ESCAPED.sub(r"\1", text)


def _plain(markdown: str) -> str:
    """The words a block shows, for counting and cutting."""
    text = _LINK.sub(r"\1", markdown)
    for pattern in (_BOLD, _ITALIC):
        text = pattern.sub(lambda m: m.group(1) or m.group(2), text)
    return _ESCAPED.sub(r"\1", _CODE.sub(r"\1", text))


def _escape_markdown(text: str) -> str:
    """Plain words back as Markdown that renders as themselves."""
    return re.sub(r"([\\`*_\[\]])", r"\\\1", text)
