"""The weekly one-page store report: what moved, the first thing to change, two shopper quotes, a change to watch.

:func:`weekly_report` builds the content for one store and one ISO week from the insights engine (the figures the
dashboard shows: NPS with its interval, the goal profile, the first ``optimise`` item with its levers and uplift, and
the week against the previous week, ``compare_with="previousPeriod"``). The two quotes are the week's most recent
comments that the quality checks did not flag (flagged ones only when there are too few others); only the comment
text is taken, never a contact address. The change to watch is the store's most recent logged change whose
28-day after-window has not ended yet. Where the engine withholds a figure (too few responses) the report says so.

:func:`report_pdf` renders it on one A4 page with fpdf2 in the store's language (da, nb, sv, en), with the PDF core
fonts as the poster does (æ, ø, å, ä, ö are in their Latin-1 set).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from uuid import UUID

from fpdf import FPDF

from pejling.core.insights import engine
from pejling.core.insights.models import StoreChange
from pejling.core.insights.sections import Difference, NpsScore, OptimiseItem
from pejling.core.insights.statistics.minimum_n import MIN_N
from pejling.core.insights.store_changes import CHANGE_WINDOW_DAYS
from pejling.core.surveys.models import Response
from pejling.core.surveys.poster import _latin1
from pejling.tenants.models import Store

WEEK = re.compile(r"^(\d{4})-W(\d{2})\Z")
QUOTES = 2

TEXT: dict[str, dict[str, str]] = {
    "en": {
        "title": "Weekly report", "week": "Week", "responses": "responses", "nps": "NPS",
        "moved": "What moved since last week", "no_moved": "Too few responses this week or last week to compare.",
        "first": "The first thing to change", "no_first": "Too few responses to point to a first change yet.",
        "uplift": "Expected uplift", "levers": "Levers",
        "quotes": "What shoppers said", "no_quotes": "No comments this week.",
        "watch": "Change to watch", "no_watch": "No logged change is being measured right now.",
        "logged": "logged", "until": "results from", "too_few": "too few responses",
        "subject": "Weekly report for {store}, week {week}",
        "body": "Hello,\n\nAttached is the weekly report for {store}, week {week}: what moved, the first thing to "
                "change, two shopper quotes and the change to watch.\n\nPejling\n",
        "goal_security": "feeling safe", "goal_ease": "ease", "goal_autonomy": "own pace",
        "goal_recognition": "feeling welcome", "goal_enjoyment": "enjoyment", "goal_discovery": "discovery",
        "goal_value": "value for money",
    },
    "da": {
        "title": "Ugerapport", "week": "Uge", "responses": "svar", "nps": "NPS",
        "moved": "Hvad har flyttet sig siden sidste uge", "no_moved": "For få svar i denne eller sidste uge til at "
        "sammenligne.",
        "first": "Det første, der skal ændres", "no_first": "For få svar til at pege på en første ændring endnu.",
        "uplift": "Forventet løft", "levers": "Greb",
        "quotes": "Det sagde kunderne", "no_quotes": "Ingen kommentarer i denne uge.",
        "watch": "Ændring at holde øje med", "no_watch": "Ingen logget ændring bliver målt lige nu.",
        "logged": "logget", "until": "resultat fra", "too_few": "for få svar",
        "subject": "Ugerapport for {store}, uge {week}",
        "body": "Hej,\n\nVedhæftet er ugerapporten for {store}, uge {week}: hvad har flyttet sig, det første, der "
                "skal ændres, to kundecitater og ændringen at holde øje med.\n\nPejling\n",
        "goal_security": "tryghed", "goal_ease": "lethed", "goal_autonomy": "eget tempo",
        "goal_recognition": "at føle sig velkommen", "goal_enjoyment": "glæde", "goal_discovery": "opdagelse",
        "goal_value": "værdi for pengene",
    },
    "nb": {
        "title": "Ukerapport", "week": "Uke", "responses": "svar", "nps": "NPS",
        "moved": "Hva har flyttet seg siden forrige uke", "no_moved": "For få svar denne eller forrige uke til å "
        "sammenligne.",
        "first": "Det første som bør endres", "no_first": "For få svar til å peke på en første endring ennå.",
        "uplift": "Forventet løft", "levers": "Grep",
        "quotes": "Dette sa kundene", "no_quotes": "Ingen kommentarer denne uken.",
        "watch": "Endring å følge med på", "no_watch": "Ingen loggført endring måles akkurat nå.",
        "logged": "loggført", "until": "resultat fra", "too_few": "for få svar",
        "subject": "Ukerapport for {store}, uke {week}",
        "body": "Hei,\n\nVedlagt er ukerapporten for {store}, uke {week}: hva har flyttet seg, det første som bør "
                "endres, to kundesitater og endringen å følge med på.\n\nPejling\n",
        "goal_security": "trygghet", "goal_ease": "enkelhet", "goal_autonomy": "eget tempo",
        "goal_recognition": "å føle seg velkommen", "goal_enjoyment": "glede", "goal_discovery": "oppdagelse",
        "goal_value": "verdi for pengene",
    },
    "sv": {
        "title": "Veckorapport", "week": "Vecka", "responses": "svar", "nps": "NPS",
        "moved": "Vad har rört sig sedan förra veckan", "no_moved": "För få svar denna eller förra veckan för att "
        "jämföra.",
        "first": "Det första att ändra", "no_first": "För få svar för att peka ut en första ändring ännu.",
        "uplift": "Förväntat lyft", "levers": "Åtgärder",
        "quotes": "Det här sa kunderna", "no_quotes": "Inga kommentarer denna vecka.",
        "watch": "Ändring att hålla koll på", "no_watch": "Ingen loggad ändring mäts just nu.",
        "logged": "loggad", "until": "resultat från", "too_few": "för få svar",
        "subject": "Veckorapport för {store}, vecka {week}",
        "body": "Hej,\n\nBifogad är veckorapporten för {store}, vecka {week}: vad som rört sig, det första att "
                "ändra, två kundcitat och ändringen att hålla koll på.\n\nPejling\n",
        "goal_security": "trygghet", "goal_ease": "enkelhet", "goal_autonomy": "egen takt",
        "goal_recognition": "att känna sig välkommen", "goal_enjoyment": "glädje", "goal_discovery": "upptäckt",
        "goal_value": "värde för pengarna",
    },
}
"""The report's and its mail's words per language."""


def text_for(language: str) -> dict[str, str]:
    """The report's words in ``language`` (English when it has none)."""
    return TEXT.get(language, TEXT["en"])


def parse_week(week: str) -> tuple[dt.date, dt.date]:
    """Monday and Sunday of an ISO week ``YYYY-Www``; ``ValueError`` for anything else."""
    match = WEEK.match(week)
    if not match:
        raise ValueError("week must look like 2026-W48")
    monday = dt.date.fromisocalendar(int(match[1]), int(match[2]), 1)
    return monday, monday + dt.timedelta(days=6)


def week_of(day: dt.date) -> str:
    """The ISO week ``YYYY-Www`` that ``day`` falls in."""
    year, number, _ = day.isocalendar()
    return f"{year}-W{number:02d}"


@dataclass(frozen=True)
class Watch:
    """A logged change whose after-window is still filling."""

    description: str
    date: dt.date
    results_from: dt.date


@dataclass(frozen=True)
class WeeklyReport:
    """Everything the one page says."""

    store_name: str
    language: str
    week: str
    start: dt.date
    end: dt.date
    n: int
    nps: NpsScore
    moved: tuple[Difference, ...]
    first_change: OptimiseItem | None
    quotes: tuple[str, ...]
    watch: Watch | None


async def weekly_report(tenant_id: UUID, store: Store, week: str, *, today: dt.date | None = None,
                        min_n: int = MIN_N) -> WeeklyReport:
    """The report of ``store`` for ISO ``week``; call inside the tenant's scope."""
    start, end = parse_week(week)
    language = store.default_language if store.default_language in TEXT else "en"
    request = engine.Request(tenant_id=tenant_id, scope=engine.Scope("store", (store.id,)), start=start, end=end,
                             compare_with="previousPeriod", language=language, min_n=min_n)
    answer = await engine.insights(request)
    moved = tuple(d for d in (answer.comparison.differences if answer.comparison else ())
                  if d.sufficient and d.difference is not None)
    moved = tuple(sorted(moved, key=lambda d: (d.name != "nps", -abs(d.difference or 0.0))))[:4]
    first = answer.optimise[0] if answer.optimise and answer.n >= min_n else None
    return WeeklyReport(
        store_name=store.name, language=language, week=week, start=start, end=end, n=answer.n, nps=answer.nps,
        moved=moved, first_change=first, quotes=await _quotes(store.id, start, end), watch=await _watch(
            store.id, today or dt.datetime.now(dt.UTC).date()),
    )


async def _quotes(store_id: UUID, start: dt.date, end: dt.date) -> tuple[str, ...]:
    """The week's most recent comments, unflagged first; only the comment text is read."""
    since = dt.datetime.combine(start, dt.time.min, dt.UTC)
    until = dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, dt.UTC)
    rows = await Response.filter(store_id=store_id, submitted_at__gte=since, submitted_at__lt=until,
                                 anonymised_at=None).exclude(comment="").order_by("-submitted_at").limit(50).values(
        "comment", "quality_flags")
    clean = [r["comment"].strip() for r in rows if not r["quality_flags"] and r["comment"].strip()]
    flagged = [r["comment"].strip() for r in rows if r["quality_flags"] and r["comment"].strip()]
    return tuple((clean + flagged)[:QUOTES])


async def _watch(store_id: UUID, today: dt.date) -> Watch | None:
    """The most recent change of the store whose after-window has not ended by ``today``."""
    change = await StoreChange.filter(
        store_id=store_id, date__lte=today, date__gt=today - dt.timedelta(days=CHANGE_WINDOW_DAYS),
    ).order_by("-date", "-created_at").first()
    if change is None:
        return None
    return Watch(change.description, change.date, change.date + dt.timedelta(days=CHANGE_WINDOW_DAYS))


def _label(name: str, t: dict[str, str]) -> str:
    return t["nps"] if name == "nps" else t.get(f"goal_{name}", name)


def _number(value: float | None, digits: int = 1, sign: bool = False) -> str:
    if value is None:
        return "-"
    return f"{value:+.{digits}f}" if sign else f"{value:.{digits}f}"


def report_pdf(report: WeeklyReport) -> bytes:
    """The report on one A4 page (portrait)."""
    t = text_for(report.language)
    pdf = FPDF(orientation="P", unit="mm", format="A4")
    pdf.set_auto_page_break(False)
    pdf.set_margins(18, 18, 18)
    pdf.set_title(_latin1(f"{t['title']} {report.store_name} {report.week}"))
    pdf.set_creator("Pejling")
    pdf.add_page()
    width = 210 - 36

    def heading(text: str) -> None:
        pdf.ln(4)
        pdf.set_font("Helvetica", "B", 13)
        pdf.set_text_color(0, 0, 0)
        pdf.cell(width, 8, _latin1(text), new_x="LMARGIN", new_y="NEXT")

    def line(text: str, size: float = 11, style: str = "") -> None:
        pdf.set_font("Helvetica", style, size)
        pdf.set_text_color(40, 40, 40)
        pdf.multi_cell(width, 5.5, _latin1(text), new_x="LMARGIN", new_y="NEXT")

    pdf.set_font("Helvetica", "B", 20)
    pdf.cell(width, 10, _latin1(f"{t['title']}: {report.store_name}"), new_x="LMARGIN", new_y="NEXT")
    nps = report.nps
    nps_text = (f"{t['nps']} {_number(nps.value, 0)} ({_number(nps.low, 0)} - {_number(nps.high, 0)})"
                if nps.sufficient and nps.value is not None else f"{t['nps']}: {t['too_few']}")
    line(f"{t['week']} {report.week} ({report.start:%d.%m.} - {report.end:%d.%m.%Y}) · {report.n} {t['responses']}"
         f" · {nps_text}".replace("·", "-"), 11)

    heading(t["moved"])
    if report.moved:
        for d in report.moved:
            digits = 0 if d.name == "nps" else 2
            line(f"{_label(d.name, t)}: {_number(d.other, digits)} -> {_number(d.current, digits)} "
                 f"({_number(d.difference, digits, sign=True)}, {_number(d.low, digits, True)} .. "
                 f"{_number(d.high, digits, True)})")
    else:
        line(t["no_moved"])

    heading(t["first"])
    if report.first_change is not None:
        item = report.first_change
        line(f"{_label(item.goal, t)}: {item.performance:.2f} -> {item.target:.2f}", 12, "B")
        if item.uplift.value is not None:
            line(f"{t['uplift']}: {_number(item.uplift.value, 2, True)} ({_number(item.uplift.low, 2, True)} .. "
                 f"{_number(item.uplift.high, 2, True)})")
        if item.levers:
            line(f"{t['levers']}: " + "; ".join(item.levers[:3]))
    else:
        line(t["no_first"])

    heading(t["quotes"])
    if report.quotes:
        for quote in report.quotes:
            line(f'"{quote}"', 11, "I")
            pdf.ln(1)
    else:
        line(t["no_quotes"])

    heading(t["watch"])
    if report.watch is not None:
        line(f"{report.watch.description} ({t['logged']} {report.watch.date:%d.%m.%Y}, {t['until']} "
             f"{report.watch.results_from:%d.%m.%Y})")
    else:
        line(t["no_watch"])
    return bytes(pdf.output())


def report_filename(store: Store, week: str) -> str:
    """The download's file name."""
    return f"pejling-{store.slug}-{week}.pdf"
