"""Bar charts drawn on the server as SVG: the geometry here, the drawing in _charts.html.

Server-side SVG needs no script, obeys the pages' Content-Security-Policy, prints, and reads
the same in every browser; each chart also carries its figures as text for screen readers.
"""

from dataclasses import dataclass, field

from models.satisfaction import SatisfactionRow
from workflow.dashboard import Count, OnTime, WeekFigures
from workflow.recurrence_report import ParetoBar

BLUE = "#0172ad"
GREEN = "#1a7f37"
WIDTH = 520
ROW = 40  # a horizontal bar's row: its label above, the bar below


@dataclass(frozen=True)
class Box:
    x: float
    y: float
    width: float
    height: float
    fill: str


@dataclass(frozen=True)
class Text:
    x: float
    y: float
    text: str
    anchor: str = "start"


@dataclass
class Chart:
    id: str
    title: str
    height: int
    boxes: list[Box] = field(default_factory=list)
    texts: list[Text] = field(default_factory=list)
    legend: list[tuple[str, str]] = field(default_factory=list)
    figures: list[tuple[str, str]] = field(default_factory=list)
    width: int = WIDTH

    @property
    def summary(self) -> str:
        return "; ".join(f"{label}: {value}" for label, value in self.figures) or "no data"


def horizontal_bars(
    chart_id: str, title: str, rows: list[tuple[str, float, str]], top: float | None = None
) -> Chart:
    """One bar per row, longest = ``top`` (or the largest value); each labelled and valued."""
    top = top or max((value for _, value, _ in rows), default=0) or 1
    chart = Chart(chart_id, title, height=max(ROW * len(rows), ROW))
    span = WIDTH - 100
    for index, (label, value, text) in enumerate(rows):
        y = index * ROW
        length = round(span * value / top, 1)
        chart.texts.append(Text(0, y + 13, label))
        chart.boxes.append(Box(0, y + 18, max(length, 1), 16, BLUE))
        chart.texts.append(Text(length + 6, y + 31, text))
        chart.figures.append((label, text))
    if not rows:
        chart.texts.append(Text(0, 24, "Nothing to show yet."))
    return chart


def weekly_chart(chart_id: str, title: str, weeks: list[WeekFigures]) -> Chart:
    """Received and closed per week, side by side, oldest week left."""
    top = max((max(w.received, w.closed) for w in weeks), default=0) or 1
    base, plot = 170, 140
    slot = (WIDTH - 40) / max(len(weeks), 1)
    chart = Chart(chart_id, title, height=200, legend=[(BLUE, "received"), (GREEN, "closed")])
    chart.texts.append(Text(34, 20, str(top), "end"))
    chart.texts.append(Text(34, base, "0", "end"))
    for index, week in enumerate(weeks):
        x = 40 + index * slot
        for offset, (value, fill) in enumerate(((week.received, BLUE), (week.closed, GREEN))):
            height = round(plot * value / top, 1)
            chart.boxes.append(Box(x + 4 + offset * 19, base - height, 17, max(height, 1), fill))
            if value:
                chart.texts.append(
                    Text(x + 12 + offset * 19, base - height - 3, str(value), "middle")
                )
        chart.texts.append(Text(x + slot / 2, base + 18, week.label, "middle"))
        chart.figures.append(
            (f"week of {week.week_start:%d %b}", f"{week.received} received, {week.closed} closed")
        )
    return chart


def on_time_chart(chart_id: str, title: str, shares: list[OnTime]) -> Chart:
    rows = [
        (
            s.department,
            (s.share or 0) * 100,
            f"{(s.share or 0):.0%} ({s.on_time} of {s.steps_done})",
        )
        for s in shares
    ]
    return horizontal_bars(chart_id, title, rows, top=100)


def count_chart(chart_id: str, title: str, counts: list[Count]) -> Chart:
    return horizontal_bars(chart_id, title, [(c.label, c.count, str(c.count)) for c in counts])


def pareto_chart(chart_id: str, title: str, bars: list[ParetoBar]) -> Chart:
    """Defect codes by count, most first, each with the running share of all (a Pareto)."""
    rows: list[tuple[str, float, str]] = [
        (f"{b.code} {b.label}", b.count, f"{b.count} ({b.cumulative_share:.0%} cumulative)")
        for b in bars
    ]
    return horizontal_bars(chart_id, title, rows)


def satisfaction_chart(chart_id: str, title: str, months: list[SatisfactionRow]) -> Chart:
    """Average score (of 5) per month of closing, oldest first, with the response rate."""
    rows: list[tuple[str, float, str]] = [
        (
            m.group,
            m.average_score or 0,
            f"{m.average_score:.1f} of 5, {m.responses} of {m.invitations} answered, "
            f"{m.satisfied_share or 0:.0%} satisfied"
            if m.average_score is not None
            else f"no answer yet ({m.invitations} invited)",
        )
        for m in months
    ]
    return horizontal_bars(chart_id, title, rows, top=5)
