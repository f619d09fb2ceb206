"""A rep's day on paper and as text: a cover listing the meetings, then each briefing."""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from html import escape
from html.parser import HTMLParser
from typing import TYPE_CHECKING

from db.briefing.dto import Briefing, ChannelStatus, TimelineGroup
from db.briefing.note_html import note_html
from db.briefing.report import (
    NOTHING_OPEN,
    PROMISES_LISTED,
    briefing_body,
    html_document,
    page_header,
)
from db.briefing.rules import STOP, Warning
from db.dates import clock, day, day_and_time, weekday
from db.labels import plural

if TYPE_CHECKING:  # the services import SQLAlchemy; this module itself needs none
    from db.briefing.service import BriefingService
    from db.field.meetings import MeetingCalendar

# A page break Qt's rich text honours (its block gets PageBreak_AlwaysBefore): each briefing
# starts a page, and the printer (ui.print_day) finds where each starts by it.
NEW_PAGE = "<div style='page-break-before: always'>"
_WIDTH = 88  # characters a line of the text output fills
_RULE = "#" * _WIDTH  # the warning band's frame in text: unmissable on any terminal or paper
_MARKS = {STOP: "STOP", "caution": "CAUTION"}  # a mark's label on the cover, worst first
# The cover's columns: (heading, attributes); the rest of the width is the warning's.
_COLUMNS = (
    ("Time", " width='14%'"),
    ("Account", " width='22%'"),
    ("Who", " width='16%'"),
    ("Where", " width='16%'"),
    ("Before you go in", " colspan='2'"),
)


@dataclass(frozen=True, slots=True)
class BriefingDay:
    """The briefings of one day's meetings, earliest first; each has its meeting."""

    on: date
    rep: str | None  # who signed in on this laptop; None before the first sign-in
    briefings: tuple[Briefing, ...]
    made_at: datetime


class DayBriefings:
    """Gathers a day's briefings from the calendar and the briefing service. Call off the
    GUI thread."""

    def __init__(self, meetings: MeetingCalendar, briefings: BriefingService) -> None:
        self._meetings = meetings
        self._briefings = briefings

    def day(self, on: date, rep: str | None = None, now: datetime | None = None) -> BriefingDay:
        """The briefings of the meetings starting on `on` (this computer's day), in time
        order; a meeting whose account has gone is left out."""
        now = now or datetime.now(UTC)
        # Local midnights, the next one computed on its own: a DST day is 23 or 25 hours.
        start = datetime.combine(on, time.min).astimezone()
        end = datetime.combine(on + timedelta(days=1), time.min).astimezone()
        found = []
        for meeting in self._meetings.between(start, end):
            briefing = self._briefings.briefing(meeting.account_id, meeting.id, now=now)
            if briefing is not None and briefing.meeting is not None:
                found.append(briefing)
        return BriefingDay(on, rep, tuple(found), now)


def day_title(briefing_day: BriefingDay) -> str:
    """ "Briefings 2026-12-07": the PDF's title and the start of its file name."""
    return f"Briefings {briefing_day.on.isoformat()}"


def cover_header(briefing_day: BriefingDay) -> str:
    """What heads the cover page: the day, and whose it is."""
    whose = f" · {briefing_day.rep}" if briefing_day.rep else ""
    return f"Your day, {day(briefing_day.on)}{whose}"


def briefing_header(briefing: Briefing) -> str:
    """What heads a briefing's pages in the day's PDF: its time, the account and the day."""
    return f"{_time(briefing)} · {page_header(briefing)}"


def page_headers(briefing_day: BriefingDay) -> tuple[str, ...]:
    """The header of each part of day_html, in order: the cover, then each briefing."""
    return (cover_header(briefing_day), *(briefing_header(b) for b in briefing_day.briefings))


def worst_warning(briefing: Briefing) -> Warning | None:
    """The warning the cover marks the meeting with (rules.warnings puts STOP first)."""
    return briefing.warnings[0] if briefing.warnings else None


# -- HTML ----------------------------------------------------------------------------------


def day_html(briefing_day: BriefingDay) -> str:
    """The day's document: the cover, then each briefing from a new page, printed whole."""
    parts = [_cover_html(briefing_day)]
    for briefing in briefing_day.briefings:
        parts += [NEW_PAGE, briefing_body(briefing, printable=True), "</div>"]
    return html_document("".join(parts))


def _cover_html(d: BriefingDay) -> str:
    whose = f"For {escape(d.rep)} · " if d.rep else ""
    parts = [
        f"<h1>Your day, {day(d.on)}</h1>",
        f"<p class='meta'>{whose}{_count(d)} · made {day_and_time(d.made_at)} from this "
        "laptop's copy; sync before you leave for the latest.</p>",
    ]
    if not d.briefings:
        parts.append(
            f"<p style='margin-top:16px; font-size:12pt'>No meetings on {day(d.on)}: "
            "no briefings to print.</p>"
        )
        return "".join(parts)
    stops = sum(1 for b in d.briefings if _level(b) == STOP)
    if stops:
        parts.append(
            "<p style='margin-top:8px'><b>"
            f"{plural(stops, 'meeting')} marked STOP: read the warning on its briefing first."
            "</b></p>"
        )
    parts.append(
        "<table width='100%' cellspacing='0' cellpadding='5' style='margin-top:10px'><tr>"
        + "".join(
            f"<td class='meta'{extra} style='border-bottom: 1px solid #5f6b78'><b>{name}</b></td>"
            for name, extra in _COLUMNS
        )
        + "</tr>"
    )
    for number, briefing in enumerate(d.briefings):
        parts.append(_cover_row(briefing, shaded=number % 2 == 0))
    parts.append("</table>")
    return "".join(parts)


def _cover_row(b: Briefing, shaded: bool) -> str:
    assert b.meeting is not None
    meeting = b.meeting
    who = ", ".join(escape(p.name) for p in b.people if p.attending) or (
        "<span class='muted'>nobody invited</span>"
    )
    purpose = f"<br><span class='meta'>{escape(meeting.purpose)}</span>" if meeting.purpose else ""
    where = escape(meeting.place) if meeting.place else "<span class='muted'>not given</span>"
    fill = " bgcolor='#f2f4f6'" if shaded else ""
    worst = worst_warning(b)
    if worst is None:
        mark = "<td></td><td><span class='muted'>nothing open</span></td>"
    else:
        label = _MARKS.get(worst.level, "CAUTION")
        more = len(b.warnings) - 1
        also = f"<br><span class='meta'>and {plural(more, 'more warning')}</span>" if more else ""
        # Black on paper in any printer: a solid black label for STOP, a black frame for
        # CAUTION; the word itself, never a colour, says which.
        style = (
            "bgcolor='#000000' style='white-space:nowrap; color:#ffffff'"
            if worst.level == STOP
            else "style='white-space:nowrap; border: 2px solid #000000'"
        )
        mark = (
            f"<td width='76' align='center' {style}><b>{label}</b></td>"
            f"<td><b>{escape(worst.headline or worst.text)}</b>{also}</td>"
        )
    return (
        f"<tr{fill}><td style='white-space:nowrap'><b>{_time(b)}</b></td>"
        f"<td><b>{escape(b.account_name)}</b>{purpose}</td>"
        f"<td>{who}</td><td>{where}</td>{mark}</tr>"
    )


# -- plain text ----------------------------------------------------------------------------


def day_text(briefing_day: BriefingDay) -> str:
    """The day as plain text: the same cover and briefings as day_html says."""
    d = briefing_day
    title = f"Your day, {day(d.on)}"
    lines = [title, "=" * len(title)]
    whose = f"For {d.rep} · " if d.rep else ""
    lines += _wrapped(
        f"{whose}{_count(d)} · made {day_and_time(d.made_at)} from this laptop's copy; "
        "sync before you leave for the latest.",
        "",
    )
    lines.append("")
    if not d.briefings:
        lines.append(f"No meetings on {day(d.on)}: no briefings to print.")
        return "\n".join(lines) + "\n"
    stops = sum(1 for b in d.briefings if _level(b) == STOP)
    if stops:
        lines += [
            f"{plural(stops, 'meeting')} marked STOP: read the warning on its briefing first.",
            "",
        ]
    for b in d.briefings:
        assert b.meeting is not None
        who = ", ".join(p.name for p in b.people if p.attending) or "nobody invited"
        worst = worst_warning(b)
        purpose = f" · {b.meeting.purpose}" if b.meeting.purpose else ""
        lines += _wrapped(f"{b.account_name}{purpose}", f"{_time(b):<13} ", " " * 14)
        lines += _wrapped(f"with {who}", " " * 14)
        lines += _wrapped(f"at {b.meeting.place or 'no place given'}", " " * 14)
        if worst is not None:
            more = len(b.warnings) - 1
            also = f" (and {plural(more, 'more warning')})" if more else ""
            label = _MARKS.get(worst.level, "CAUTION")
            lines += _wrapped(f"[{label}] {worst.headline or worst.text}{also}", " " * 14)
    for b in d.briefings:
        lines += ["", "=" * _WIDTH, briefing_header(b), "=" * _WIDTH, ""]
        lines.append(briefing_text(b).rstrip("\n"))
    return "\n".join(lines) + "\n"


def briefing_text(briefing: Briefing) -> str:
    """One briefing as plain text, in briefing_html's order and words (printed whole)."""
    b = briefing
    lines = [b.account_name, "-" * min(len(b.account_name), _WIDTH)]
    where = " · ".join(x for x in (b.industry, b.city) if x)
    if where:
        lines.append(where)
    if b.meeting is not None:
        m = b.meeting
        what = " · ".join(x for x in (m.purpose, m.place) if x)
        lines.append(f"{_when(b)}{' · ' + what if what else ''}")
    else:
        lines.append("No meeting planned with them.")
    lines.append(f"Relationship: {b.rung.label}")
    lines.append("")
    lines += _warnings_text(b)
    if b.talking_points:
        lines += ["", "Talking points"]
        for number, point in enumerate(b.talking_points, start=1):
            lines += _wrapped(point, f"  {number}. ")
    lines += _people_text(b)
    lines.append("")
    for status in b.status:
        lines += _wrapped(_status_text(status), f"{status.channel.capitalize()}: ")
    lines += _since_text(b)
    lines += _team_text(b)
    lines += _last_visit_text(b)
    lines += _promises_text(b)
    lines += _marketing_text(b)
    lines.append("")
    lines += _wrapped(
        f"Briefing made {day_and_time(b.made_at)} from this laptop's copy; "
        "sync before you leave for the latest.",
        "",
    )
    return "\n".join(lines) + "\n"


def _warnings_text(b: Briefing) -> list[str]:
    if not b.warnings:
        return ["Nothing open that should stop you: no disputes, urgent tickets or billing holds."]
    lines = [_RULE]
    for number, warning in enumerate(b.warnings):
        if number:
            lines.append("#")
        first = warning.first or warning.text
        lines += _wrapped(first, "# ")
        if warning.first:
            lines += _wrapped(warning.text, "# ")
        if warning.owner:
            lines += _wrapped(f"Who resolves it: {warning.owner}", "# ")
    return [*lines, _RULE]


def _people_text(b: Briefing) -> list[str]:
    heading = "Who you meet" if any(p.attending for p in b.people) else "Key contacts"
    lines = ["", heading]
    if not b.people:
        return [*lines, "  No contacts at this account yet."]
    for person in b.people:
        about = " · ".join(x for x in (person.title, person.role) if x)
        lines += _wrapped(f"{person.name}{' · ' + about if about else ''}", "  ")
        reach = " · ".join(x for x in (*person.phones, person.email or "") if x)
        lines += _wrapped(reach or "no phone or e-mail", "    ")
        for coming in person.coming_up:
            lines += _wrapped(coming, "    ")
        for label, value in person.highlights:
            lines += _wrapped(f"{label}: {value}", "    ")
        if person.avoid:
            lines += _wrapped(f"Avoid: {'; '.join(person.avoid)}", "    ")
    if b.more_people:
        more = f"{b.more_people} more contact{'s' if b.more_people > 1 else ''}"
        lines.append(f"  and {more} at the account")
    return lines


def _status_text(status: ChannelStatus) -> str:
    said = "; ".join(status.open) or NOTHING_OPEN
    scores = " · ".join(status.scores)
    return f"{said} · {scores}" if scores else said


def _since_text(b: Briefing) -> list[str]:
    title = (
        f"Since your last visit ({day(b.since)})"
        if b.since_last_visit
        else f"Last {(b.made_at - b.since).days} days (no earlier visit)"
    )
    lines = ["", title]
    if not b.timeline:
        return [*lines, "  Nothing from marketing, service, billing or sales."]
    for group in b.timeline:
        lines += _group_text(group)
    return lines


def _group_text(group: TimelineGroup) -> list[str]:
    """A group's line as a closed group prints: one event named, several counted with the
    newest named."""
    if group.count == 1:
        item = group.items[0]
        summary = _capital(item.title) + (f" · {item.contact}" if item.contact else "")
    else:
        summary = f"{_capital(group.summary)} · latest: {group.items[0].title}"
    return _wrapped(summary, f"  {day(group.latest):<16} {group.channel.capitalize():<10} ")


def _team_text(b: Briefing) -> list[str]:
    lines = ["", "Our account team"]
    if not b.team:
        return [*lines, "  Nobody else in our company is listed."]
    for member in b.team:
        if member.latest_at is None:
            latest = "no recorded touch"
        elif member.in_timeline:
            latest = f"last touch {day(member.latest_at)}"
        else:
            latest = f"{day(member.latest_at)}: {member.latest or ''}"
        about = " · ".join(x for x in (member.role, member.email or "") if x)
        lines += _wrapped(f"{member.name}{' · ' + about if about else ''} — {latest}", "  ")
    return lines


def _last_visit_text(b: Briefing) -> list[str]:
    recap = b.last_visit
    if recap is None:
        return ["", "Last visit", "  No earlier visit notes."]
    what = f" · {recap.purpose}" if recap.purpose else ""
    lines = ["", f"Last visit: {day(recap.at)}{what}"]
    if not recap.notes:
        lines.append("  No notes were written.")
    for author, text in recap.notes:
        if len(recap.notes) > 1 and author:
            lines.append(f"  {author}:")
        # The note as the briefing renders it (capped alike), its markup dropped.
        for line in _HtmlLines.of(note_html(text)):
            lines += _wrapped(line, "  ")
    return lines


def _promises_text(b: Briefing) -> list[str]:
    lines = ["", "What you promised"]
    if not b.promises:
        return [*lines, "  No open follow-ups."]
    today = b.made_at.astimezone().date()
    for promise in b.promises[:PROMISES_LISTED]:
        overdue = promise.due is not None and promise.due < today
        due = f" — {'was ' if overdue else ''}due {day(promise.due)}" if promise.due else ""
        to = f" ({promise.contact})" if promise.contact else ""
        lines += _wrapped(f"{promise.title}{to}{due}", "  - ")
    if len(b.promises) > PROMISES_LISTED:
        lines.append(f"  and {len(b.promises) - PROMISES_LISTED} more on Follow-ups")
    return lines


def _marketing_text(b: Briefing) -> list[str]:
    lines = ["", "What marketing sends them next"]
    for number, send in enumerate(b.scheduled):
        to = f" to {send.contact}" if send.contact else ""
        held = " — despite your hold: ask marketing to stop it" if number in b.held_sends else ""
        lines += _wrapped(f"{day(send.at)}: {send.title}{to}{held}", "  ")
    for name in b.nurture_paused:
        lines += _wrapped(f"Nurture emails are paused for {name}.", "  ")
    for hold in b.holds:
        lines += _wrapped(f"You asked marketing to hold off: {hold}.", "  ")
    if not b.scheduled and not b.nurture_paused and not b.holds:
        lines.append("  Nothing scheduled in the coming weeks.")
    return lines


class _HtmlLines(HTMLParser):
    """The lines a fragment of our own rich text shows: a paragraph, a list item or a
    line break ends one; the text is unescaped."""

    _BREAKS = frozenset({"p", "li", "br", "tr", "h1", "h2", "h3"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = []
        self._current: list[str] = []

    @classmethod
    def of(cls, fragment: str) -> list[str]:
        parser = cls()
        parser.feed(fragment)
        parser.close()
        parser._end_line()
        return parser.lines

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._BREAKS:
            self._end_line()
            if tag == "li":
                self._current.append("- ")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._BREAKS:
            self._end_line()

    def handle_data(self, data: str) -> None:
        self._current.append(data)

    def _end_line(self) -> None:
        line = " ".join("".join(self._current).split())
        if line and line != "-":
            self.lines.append(line)
        self._current = []


def _wrapped(text: str, first: str, rest: str | None = None) -> list[str]:
    """`text` after `first`, wrapped to the page's width; later lines indented as far."""
    indent = " " * len(first) if rest is None else rest
    return textwrap.wrap(
        text, _WIDTH, initial_indent=first, subsequent_indent=indent, break_on_hyphens=False
    ) or [first.rstrip()]


def _count(d: BriefingDay) -> str:
    return plural(len(d.briefings), "meeting")


def _level(b: Briefing) -> str | None:
    worst = worst_warning(b)
    return worst.level if worst else None


def _time(b: Briefing) -> str:
    """ "09:00–10:00", or "all day"."""
    assert b.meeting is not None
    if b.meeting.all_day:
        return "all day"
    return f"{clock(b.meeting.starts_at)}–{clock(b.meeting.ends_at)}"


def _when(b: Briefing) -> str:
    """The meeting's day and time as briefing_html's header says it."""
    assert b.meeting is not None
    m = b.meeting
    if m.all_day:
        first = m.starts_at.astimezone().date()
        days = max(round((m.ends_at - m.starts_at) / timedelta(days=1)), 1)
        if days == 1:
            return f"{day(first)}, all day"
        return f"{weekday(first)}–{day(first + timedelta(days=days - 1))}, all day"
    return f"{day_and_time(m.starts_at)}–{clock(m.ends_at)}"


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]
