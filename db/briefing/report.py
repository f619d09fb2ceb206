"""A briefing as HTML: the same document on screen (Qt's rich text) and in the PDF.

Always in one order, so a rep finds things where they were last time: the warning band
(what to do first), the talking points, who they meet, one line each for service, billing
and marketing, then what happened since the last visit, the account team, the last
visit's note, open promises and what marketing sends next.

Qt's rich text knows a subset of HTML 4 and CSS: tables for layout, bgcolor for bands.
The warning band reads in black and white too: an icon, the words STOP or CAUTION, and a
thick black frame (a dark fill would print as the same grey as the ladder's chips).
On screen a timeline group's events show when the rep clicks it (a `group:` link).
"""

from __future__ import annotations

import base64
from collections.abc import Collection
from datetime import date, datetime, timedelta
from functools import cache
from html import escape
from importlib import resources

from db.briefing.dto import Briefing, ChannelStatus, TimelineGroup
from db.briefing.note_html import note_html
from db.briefing.rules import STOP, Warning
from db.dates import clock, day, day_and_time, weekday
from sync.enums import LadderRung

GROUP_LINK = "group:"
ITEMS_SHOWN = 50  # events listed under a group opened on screen (printed: all of them)
PROMISES_LISTED = 5
NOTHING_OPEN = "nothing open"
# Margins in px: Qt's rich text ignores a margin in pt.
_STYLE = """
body { font-family: sans-serif; font-size: 9.5pt; color: #1f2d3d; }
h1 { font-size: 16pt; margin-top: 0; margin-bottom: 2px; }
h2 { font-size: 10.5pt; color: #3b4a5c; margin-top: 12px; margin-bottom: 3px; }
p { margin-top: 1px; margin-bottom: 1px; }
li { margin-bottom: 1px; }
ol, ul { margin-top: 0; margin-bottom: 0; }
.meta { color: #5f6b78; }
.muted { color: #7a8591; }
a { color: #1f5fa8; text-decoration: none; }
td { vertical-align: top; }
"""
# (fill, frame, frame width in px): light fills, so the frame and the words carry it on
# a black-and-white print.
_BANDS = {STOP: ("#fde8e6", "#000000", 4), "caution": ("#fff6d6", "#000000", 2)}
_GAP = " style='padding-right:8px'"  # between a table's columns
_ICONS = {STOP: "briefing-stop", "caution": "briefing-caution"}
_CHANNEL_COLOURS = {
    "marketing": "#6a4fb3",
    "service": "#1f7a8c",
    "billing": "#9a5b13",
    "sales": "#2e7d32",
}


def briefing_html(
    briefing: Briefing, expanded: Collection[str] = (), printable: bool = False
) -> str:
    """The briefing's document; `expanded`: the timeline groups opened on screen, shown
    with all their events when `printable` (which also drops the links)."""
    return html_document(briefing_body(briefing, expanded, printable))


def html_document(body: str) -> str:
    """`body` in a document with the briefing's style sheet."""
    return f"<html><head><style>{_STYLE}</style></head><body>{body}</body></html>"


def briefing_body(
    briefing: Briefing, expanded: Collection[str] = (), printable: bool = False
) -> str:
    """What briefing_html's document holds, to put several briefings in one (a day's)."""
    parts = _header(briefing)
    parts += _warnings(briefing)
    parts += _talking_points(briefing)
    parts += _people(briefing)
    parts += _status(briefing)
    parts += _since(briefing, expanded, printable)
    parts += _team(briefing)
    parts += _last_visit(briefing)
    parts += _promises(briefing)
    parts += _marketing_next(briefing)
    parts.append(
        f"<p class='muted' style='margin-top:12px'>Briefing made {_when(briefing.made_at)} "
        "from this laptop's copy; sync before you leave for the latest.</p>"
    )
    return "".join(parts)


def briefing_day(briefing: Briefing) -> date:
    """The day the briefing is for: its meeting's, or the day it was made."""
    moment = briefing.meeting.starts_at if briefing.meeting else briefing.made_at
    return moment.astimezone().date()


def briefing_title(briefing: Briefing) -> str:
    """ "Briefing Acme Logistics 2026-12-05": a PDF's title and the start of its name."""
    return f"Briefing {briefing.account_name} {briefing_day(briefing).isoformat()}"


def page_header(briefing: Briefing) -> str:
    """What heads every printed page: the account and the day."""
    return f"{briefing.account_name} · briefing for {day(briefing_day(briefing))}"


def _header(b: Briefing) -> list[str]:
    where = " · ".join(escape(x) for x in (b.industry, b.city) if x)
    parts = [f"<h1>{escape(b.account_name)}</h1>"]
    if where:
        parts.append(f"<p class='meta'>{where}</p>")
    if b.meeting is not None:
        m = b.meeting
        what = " · ".join(escape(x) for x in (m.purpose, m.place) if x)
        when = (
            _days(m.starts_at, m.ends_at)
            if m.all_day
            else f"{_when(m.starts_at)}–{clock(m.ends_at)}"
        )
        parts.append(f"<p><b>{when}</b>{' · ' + what if what else ''}</p>")
    else:
        parts.append("<p class='meta'>No meeting planned with them.</p>")
    parts.append(_ladder(b.rung))
    return parts


def _ladder(rung: LadderRung) -> str:
    cells = []
    for step in LadderRung:
        here = step == rung
        colour = "#1f5fa8" if here else ("#c9d8ea" if step.step < rung.step else "#eef1f4")
        text = "#ffffff" if here else "#3b4a5c"
        label = f"<b>{step.label}</b>" if here else step.label
        cells.append(f"<td bgcolor='{colour}' align='center' style='color:{text}'>{label}</td>")
    return (
        "<table cellspacing='2' cellpadding='3' style='margin-top:4px'><tr>"
        f"<td class='meta'>Relationship</td>{''.join(cells)}"
        "</tr></table>"
    )


def _warnings(b: Briefing) -> list[str]:
    if not b.warnings:
        return [
            "<table width='100%' cellpadding='5' style='margin-top:8px'><tr>"
            "<td bgcolor='#e3f1e5' style='color:#1e5a27'>Nothing open that should stop you: "
            "no disputes, urgent tickets or billing holds.</td></tr></table>"
        ]
    return [_band(w) for w in b.warnings]


def _band(warning: Warning) -> str:
    """One warning: its label (an icon and the word), what to do first, what is open, who
    resolves it; inside a black frame (an outer table whose padding shows as the frame)."""
    level = warning.level if warning.level in _BANDS else "caution"
    fill, frame, width = _BANDS[level]
    first = warning.first or warning.text
    lines = [f"<span style='font-size:11.5pt'><b>{escape(first)}</b></span>"]
    if warning.first:
        lines.append(escape(warning.text))
    if warning.owner:
        lines.append(f"Who resolves it: <b>{escape(warning.owner)}</b>")
    # The label says it in a word beside the icon, so a grey print still reads at a glance:
    # STOP white on solid black, CAUTION in black on the band's light fill.
    icon = f"<img src='{_icon(_ICONS[level])}' width='28' height='28'>"
    label = (
        f"<td width='84' nowrap align='center' bgcolor='#000000' style='color:#ffffff'>{icon}"
        "<br><b style='font-size:12pt'>STOP</b></td>"
        if level == STOP
        else f"<td width='84' nowrap align='center'>{icon}<br><b>CAUTION</b></td>"
    )
    return (
        f"<table width='100%' cellspacing='0' cellpadding='{width}' bgcolor='{frame}' "
        "style='margin-top:6px'><tr><td>"
        f"<table width='100%' cellspacing='0' cellpadding='5' bgcolor='{fill}'><tr>"
        f"{label}<td style='padding-left:10px'>{'<br>'.join(lines)}</td>"
        "</tr></table></td></tr></table>"
    )


def _talking_points(b: Briefing) -> list[str]:
    if not b.talking_points:
        return []
    items = "".join(f"<li>{escape(point)}</li>" for point in b.talking_points)
    return ["<h2>Talking points</h2>", f"<ol>{items}</ol>"]


def _people(b: Briefing) -> list[str]:
    heading = "Who you meet" if any(p.attending for p in b.people) else "Key contacts"
    parts = [f"<h2>{heading}</h2>"]
    if not b.people:
        return [*parts, "<p class='muted'>No contacts at this account yet.</p>"]
    for person in b.people:
        about = " · ".join(escape(x) for x in (person.title, person.role) if x)
        reach = " · ".join(escape(x) for x in (*person.phones, person.email or "") if x)
        lines = [f"<b>{escape(person.name)}</b>" + (f" <span class='meta'>{about}</span>")]
        lines.append(
            f"<span class='meta'>{reach}</span>"
            if reach
            else "<span class='muted'>no phone or e-mail</span>"
        )
        lines += [f"<b style='color:#1f5fa8'>{escape(c)}</b>" for c in person.coming_up]
        lines += [
            f"<span class='meta'>{escape(label)}:</span> {escape(value)}"
            for label, value in person.highlights
        ]
        if person.avoid:
            lines.append(f"<b>Avoid:</b> {escape('; '.join(person.avoid))}")
        parts.append(f"<p style='margin-top:0; margin-bottom:5px'>{'<br>'.join(lines)}</p>")
    if b.more_people:
        more = f"{b.more_people} more contact{'s' if b.more_people > 1 else ''}"
        parts.append(f"<p class='muted'>and {more} at the account</p>")
    return parts


def _status(b: Briefing) -> list[str]:
    parts = ["<table cellpadding='1' cellspacing='0' style='margin-top:10px'>"]
    for status in b.status:
        parts.append(
            f"<tr><td nowrap style='padding-right:10px'>{_channel(status.channel)}</td>"
            f"<td>{_status_line(status)}</td></tr>"
        )
    parts.append("</table>")
    return parts


def _status_line(status: ChannelStatus) -> str:
    said = "; ".join(escape(x) for x in status.open) or f"<span class='muted'>{NOTHING_OPEN}</span>"
    scores = " · ".join(escape(x) for x in status.scores)
    return f"{said} · {scores}" if scores else said


def _since(b: Briefing, expanded: Collection[str], printable: bool) -> list[str]:
    title = (
        f"Since your last visit ({day(b.since)})"
        if b.since_last_visit
        else f"Last {(b.made_at - b.since).days} days (no earlier visit)"
    )
    parts = [f"<h2>{title}</h2>"]
    if not b.timeline:
        return [*parts, "<p class='muted'>Nothing from marketing, service, billing or sales.</p>"]
    parts.append("<table cellpadding='1' cellspacing='0'>")
    for group in b.timeline:
        parts += _group(group, group.key in expanded, printable)
    parts.append("</table>")
    return parts


def _group(group: TimelineGroup, opened: bool, printable: bool) -> list[str]:
    """A group's line: one event is named; several are counted, with the newest named."""
    single = group.count == 1
    if single:
        item = group.items[0]
        who = f" · {escape(item.contact)}" if item.contact else ""
        summary = f"{escape(_capital(item.title))}{who}"
    else:
        summary = escape(_capital(group.summary))
        if not printable:
            sign = "▾" if opened else "▸"
            summary = f"<a href='{GROUP_LINK}{escape(group.key, quote=True)}'>{sign} {summary}</a>"
        if not opened:
            summary += f" <span class='muted'>· latest: {escape(group.items[0].title)}</span>"
    rows = [
        f"<tr><td class='muted' nowrap{_GAP}>{_day(group.latest)}</td>"
        f"<td nowrap{_GAP}>{_channel(group.channel)}</td><td>{summary}</td></tr>"
    ]
    if single or not opened:
        return rows
    shown = group.items if printable else group.items[:ITEMS_SHOWN]
    for item in shown:
        who = f" · {escape(item.contact)}" if item.contact else ""
        rows.append(
            f"<tr><td></td><td class='muted' nowrap{_GAP}>{_day(item.occurred_at)}</td>"
            f"<td class='meta'>{escape(item.title)}{who}</td></tr>"
        )
    if len(shown) < group.count:
        rows.append(
            f"<tr><td></td><td></td><td class='muted'>and {group.count - len(shown)} "
            "older</td></tr>"
        )
    return rows


def _team(b: Briefing) -> list[str]:
    parts = ["<h2>Our account team</h2>"]
    if not b.team:
        return [*parts, "<p class='muted'>Nobody else in our company is listed.</p>"]
    for member in b.team:
        if member.latest_at is None:
            latest = "<span class='muted'>no recorded touch</span>"
        elif member.in_timeline:  # its event is in the timeline above: the day only
            latest = f"<span class='muted'>last touch {_day(member.latest_at)}</span>"
        else:
            latest = f"{_day(member.latest_at)}: {escape(member.latest or '')}"
        about = " · ".join(escape(x) for x in (member.role, member.email or "") if x)
        parts.append(
            f"<p><b>{escape(member.name)}</b> <span class='meta'>{about}</span> — {latest}</p>"
        )
    return parts


def _last_visit(b: Briefing) -> list[str]:
    recap = b.last_visit
    if recap is None:
        return ["<h2>Last visit</h2>", "<p class='muted'>No earlier visit notes.</p>"]
    what = f" · {escape(recap.purpose)}" if recap.purpose else ""
    parts = [f"<h2>Last visit: {_day(recap.at)}{what}</h2>"]
    if not recap.notes:
        parts.append("<p class='muted'>No notes were written.</p>")
    for author, text in recap.notes:
        if len(recap.notes) > 1 and author:
            parts.append(f"<p class='muted'>{escape(author)}:</p>")
        parts.append(note_html(text))
    return parts


def _promises(b: Briefing) -> list[str]:
    parts = ["<h2>What you promised</h2>"]
    if not b.promises:
        return [*parts, "<p class='muted'>No open follow-ups.</p>"]
    today = b.made_at.astimezone().date()
    parts.append("<ul>")
    for promise in b.promises[:PROMISES_LISTED]:
        overdue = promise.due is not None and promise.due < today
        due = f" — {'was ' if overdue else ''}due {day(promise.due)}" if promise.due else ""
        to = f" ({escape(promise.contact)})" if promise.contact else ""
        text = f"{escape(promise.title)}{to}{due}"
        parts.append(
            f"<li><b style='color:#b3261e'>{text}</b></li>" if overdue else f"<li>{text}</li>"
        )
    parts.append("</ul>")
    if len(b.promises) > PROMISES_LISTED:
        more = len(b.promises) - PROMISES_LISTED
        parts.append(f"<p class='muted'>and {more} more on Follow-ups</p>")
    return parts


def _marketing_next(b: Briefing) -> list[str]:
    parts = ["<h2>What marketing sends them next</h2>"]
    for number, send in enumerate(b.scheduled):
        to = f" to {escape(send.contact)}" if send.contact else ""
        held = (
            " <b style='color:#b3261e'>— despite your hold: ask marketing to stop it</b>"
            if number in b.held_sends
            else ""
        )
        parts.append(f"<p>{_day(send.at)}: {escape(send.title)}{to}{held}</p>")
    for name in b.nurture_paused:
        parts.append(f"<p>Nurture emails are <b>paused</b> for {escape(name)}.</p>")
    for hold in b.holds:
        parts.append(f"<p>You asked marketing to hold off: {escape(hold)}.</p>")
    if not b.scheduled and not b.nurture_paused and not b.holds:
        parts.append("<p class='muted'>Nothing scheduled in the coming weeks.</p>")
    return parts


@cache
def _icon(name: str) -> str:
    """An icon of resources/icons as a data: URL, which Qt's rich text shows on screen and
    in a PDF alike (no resource to register, no file to find)."""
    svg = (resources.files("resources.icons") / f"{name}.svg").read_bytes()
    return "data:image/svg+xml;base64," + base64.b64encode(svg).decode("ascii")


def _channel(channel: str) -> str:
    colour = _CHANNEL_COLOURS.get(channel, "#5f6b78")
    return f"<b style='color:{colour}'>{escape(channel.capitalize())}</b>"


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _day(moment: datetime) -> str:
    return day(moment)


def _when(moment: datetime) -> str:
    return day_and_time(moment)


def _days(starts_at: datetime, ends_at: datetime) -> str:
    """An all-day meeting: 'Tue 4 Nov 2025, all day', or its first and last day."""
    first = starts_at.astimezone().date()
    days = max(round((ends_at - starts_at) / timedelta(days=1)), 1)
    if days == 1:
        return f"{day(first)}, all day"
    return f"{weekday(first)}–{day(first + timedelta(days=days - 1))}, all day"
