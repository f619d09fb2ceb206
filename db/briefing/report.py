"""A briefing as HTML: the same document on screen (Qt's rich text) and in the PDF.

Qt's rich text knows a subset of HTML 4 and CSS: tables for layout, bgcolor for bands.
On screen a timeline group's events show when the rep clicks it (a `group:` link).
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime, timedelta
from html import escape

from db.briefing.dto import Briefing, TimelineGroup
from db.briefing.rules import STOP
from sync.enums import LadderRung

GROUP_LINK = "group:"
ITEMS_SHOWN = 50  # events listed under an opened group
_STYLE = """
body { font-family: sans-serif; font-size: 10pt; color: #1f2d3d; }
h1 { font-size: 17pt; margin-top: 0; margin-bottom: 2pt; }
h2 { font-size: 11.5pt; color: #3b4a5c; margin-top: 16pt; margin-bottom: 4pt; }
p { margin-top: 2pt; margin-bottom: 2pt; }
li { margin-bottom: 3pt; }
.meta { color: #5f6b78; }
.muted { color: #7a8591; }
a { color: #1f5fa8; text-decoration: none; }
td { vertical-align: top; }
"""
_LEVEL_COLOURS = {STOP: ("#b3261e", "#ffffff"), "caution": ("#f6d365", "#3d2e00")}
_CHANNEL_COLOURS = {
    "marketing": "#6a4fb3",
    "service": "#1f7a8c",
    "billing": "#9a5b13",
    "sales": "#2e7d32",
}


def briefing_html(
    briefing: Briefing, expanded: Collection[str] = (), printable: bool = False
) -> str:
    """The briefing's document; `expanded`: the timeline groups opened on screen.
    `printable`: no links, and each group shows its newest event."""
    parts = [f"<html><head><style>{_STYLE}</style></head><body>"]
    parts += _header(briefing)
    parts += _warnings(briefing)
    parts += _since(briefing, expanded, printable)
    parts += _people(briefing)
    parts += _team(briefing)
    parts += _last_visit(briefing)
    parts += _marketing_next(briefing)
    parts += _talking_points(briefing)
    parts.append(
        f"<p class='muted'><br>Briefing made {_when(briefing.made_at)} from this laptop's "
        "copy; sync before you leave for the latest.</p></body></html>"
    )
    return "".join(parts)


def _header(b: Briefing) -> list[str]:
    where = " · ".join(x for x in (b.industry, b.city) if x)
    parts = [f"<h1>{escape(b.account_name)}</h1>", f"<p class='meta'>{escape(where)}</p>"]
    if b.meeting is not None:
        m = b.meeting
        what = " · ".join(escape(x) for x in (m.purpose, m.place) if x)
        when = (
            _days(m.starts_at, m.ends_at)
            if m.all_day
            else f"{_when(m.starts_at)}–{m.ends_at.astimezone():%H:%M}"
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
        "<table cellspacing='3' cellpadding='4' style='margin-top:6pt'><tr>"
        f"<td class='meta'>Relationship</td>{''.join(cells)}"
        "</tr></table>"
    )


def _warnings(b: Briefing) -> list[str]:
    if not b.warnings:
        return [
            "<table width='100%' cellpadding='7' style='margin-top:10pt'><tr>"
            "<td bgcolor='#e3f1e5' style='color:#1e5a27'>No open disputes, urgent tickets or "
            "billing holds.</td></tr></table>"
        ]
    rows = []
    for warning in b.warnings:
        back, fore = _LEVEL_COLOURS.get(warning.level, _LEVEL_COLOURS["caution"])
        rows.append(
            f"<tr><td bgcolor='{back}' style='color:{fore}'><b>{escape(warning.text)}</b></td></tr>"
        )
    return [
        "<table width='100%' cellpadding='7' cellspacing='3' style='margin-top:10pt'>",
        *rows,
        "</table>",
    ]


def _since(b: Briefing, expanded: Collection[str], printable: bool) -> list[str]:
    title = (
        f"Since the last visit ({b.since.astimezone():%d %b %Y})"
        if b.since_last_visit
        else f"Last {(b.made_at - b.since).days} days (no earlier visit)"
    )
    parts = [f"<h2 style='margin-top:14pt'>{title}</h2>"]
    if not b.timeline:
        return [*parts, "<p class='muted'>Nothing from marketing, service or billing.</p>"]
    for channel, summary in b.channel_summaries:
        parts.append(f"<p>{_channel(channel)} {escape(_capital(summary))}</p>")
    parts.append("<table cellpadding='2' cellspacing='0' style='margin-top:6pt'>")
    for group in b.timeline:
        parts += _group(group, group.key in expanded, printable)
    parts.append("</table>")
    return parts


def _group(group: TimelineGroup, opened: bool, printable: bool) -> list[str]:
    summary = escape(_capital(group.summary))
    if not printable:
        sign = "▾" if opened else "▸"
        summary = f"<a href='{GROUP_LINK}{escape(group.key, quote=True)}'>{sign} {summary}</a>"
    rows = [
        f"<tr><td class='muted' nowrap>{_day(group.latest)}</td>"
        f"<td nowrap>{_channel(group.channel)}</td><td>{summary}</td></tr>"
    ]
    shown = group.items[:ITEMS_SHOWN] if opened else group.items[:1] if printable else ()
    for item in shown:
        who = f" · {escape(item.contact)}" if item.contact else ""
        rows.append(
            f"<tr><td></td><td class='muted' nowrap>{_day(item.occurred_at)}</td>"
            f"<td class='meta'>{escape(item.title)}{who}</td></tr>"
        )
    if opened and group.count > ITEMS_SHOWN:
        rows.append(
            f"<tr><td></td><td></td><td class='muted'>and {group.count - ITEMS_SHOWN} "
            "older</td></tr>"
        )
    return rows


def _people(b: Briefing) -> list[str]:
    heading = "Who you meet" if any(p.attending for p in b.people) else "Key contacts"
    parts = [f"<h2 style='margin-top:14pt'>{heading}</h2>"]
    if not b.people:
        return [*parts, "<p class='muted'>No contacts at this account yet.</p>"]
    parts.append("<table cellpadding='2'>")
    for person in b.people:
        about = " · ".join(escape(x) for x in (person.title, person.role) if x)
        lines = [f"<b>{escape(person.name)}</b>" + (f" <span class='meta'>{about}</span>")]
        lines += [f"<b style='color:#1f5fa8'>{escape(c)}</b>" for c in person.coming_up]
        lines += [
            f"<span class='meta'>{escape(label)}:</span> {escape(value)}"
            for label, value in person.highlights
        ]
        if person.avoid:
            lines.append(
                f"<span style='color:#b3261e'>Avoid: {escape('; '.join(person.avoid))}</span>"
            )
        if len(lines) == 1:
            lines.append("<span class='muted'>No profile yet.</span>")
        parts.append(f"<tr><td style='padding-bottom:6pt'>{'<br>'.join(lines)}</td></tr>")
    parts.append("</table>")
    return parts


def _team(b: Briefing) -> list[str]:
    parts = ["<h2 style='margin-top:14pt'>Our account team</h2>"]
    if not b.team:
        return [*parts, "<p class='muted'>Nobody else in our company is listed.</p>"]
    parts.append("<table cellpadding='3' cellspacing='0'>")
    for member in b.team:
        latest = (
            f"{_day(member.latest_at)}: {escape(member.latest or '')}"
            if member.latest_at
            else "<span class='muted'>no recorded touch</span>"
        )
        parts.append(
            f"<tr><td><b>{escape(member.name)}</b></td><td class='meta'>"
            f"{escape(member.role)}</td><td>{latest}</td></tr>"
        )
    parts.append("</table>")
    return parts


def _last_visit(b: Briefing) -> list[str]:
    parts = ["<h2 style='margin-top:14pt'>Last visit and what you promised</h2>"]
    recap = b.last_visit
    if recap is None:
        parts.append("<p class='muted'>No earlier visit notes.</p>")
    else:
        what = f" · {escape(recap.purpose)}" if recap.purpose else ""
        parts.append(f"<p><b>{_day(recap.at)}</b>{what}</p>")
        if not recap.notes:
            parts.append("<p class='muted'>No notes were written.</p>")
        for author, text in recap.notes:
            by = f" <span class='muted'>({escape(author)})</span>" if author else ""
            parts.append(f"<p>{escape(text)}{by}</p>")
    if b.promises:
        parts.append("<p><b>Open follow-ups:</b></p><ul>")
        for promise in b.promises:
            due = f" — due {promise.due:%d %b %Y}" if promise.due else ""
            overdue = promise.due is not None and promise.due < b.made_at.astimezone().date()
            style = " style='color:#b3261e'" if overdue else ""
            to = f" ({escape(promise.contact)})" if promise.contact else ""
            parts.append(f"<li{style}>{escape(promise.title)}{to}{due}</li>")
        parts.append("</ul>")
    else:
        parts.append("<p class='muted'>No open follow-ups.</p>")
    return parts


def _marketing_next(b: Briefing) -> list[str]:
    parts = ["<h2 style='margin-top:14pt'>What marketing sends them next</h2>"]
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


def _talking_points(b: Briefing) -> list[str]:
    items = "".join(f"<li>{escape(point)}</li>" for point in b.talking_points)
    return ["<h2 style='margin-top:14pt'>Talking points</h2>", f"<ol>{items}</ol>"]


def _channel(channel: str) -> str:
    colour = _CHANNEL_COLOURS.get(channel, "#5f6b78")
    return f"<b style='color:{colour}'>{escape(channel.capitalize())}</b>"


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _day(moment: datetime) -> str:
    return f"{moment.astimezone():%d %b %Y}"


def _when(moment: datetime) -> str:
    return f"{moment.astimezone():%a %d %b %Y, %H:%M}"


def _days(starts_at: datetime, ends_at: datetime) -> str:
    """An all-day meeting: 'Tue 04 Nov 2025, all day', or its first and last day."""
    first = starts_at.astimezone()
    days = max(round((ends_at - starts_at) / timedelta(days=1)), 1)
    if days == 1:
        return f"{first:%a %d %b %Y}, all day"
    return f"{first:%a %d %b}–{first + timedelta(days=days - 1):%a %d %b %Y}, all day"
