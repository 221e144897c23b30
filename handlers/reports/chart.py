"""The weekly PNG chart supervisors get (/bieudo), drawn on matplotlib's Agg canvas (no
pyplot global state) in the report jobs' child process."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from handlers.reports import figures
from handlers.reports.figures import WeeklySeries
from handlers.reports.files import output_path
from handlers.reports.labels import count, share, short_area
from handlers.reports.periods import Period
from handlers.settings import Deadlines, HotlineSettings
from handlers.texts import reports as t
from storage.reports import reading


async def make_chart(
    url: str, settings: HotlineSettings, deadlines: Deadlines, now: datetime, period: Period
) -> tuple[str, tuple[str, str]]:
    """/bieudo's answer: caption and (path, "photo")."""
    async with reading(url) as session:
        series = await figures.weekly(session, settings, now, period)
    path = output_path(settings.reports_folder, "bieudo", period, now, settings.timezone, ".png")
    render_chart(series, settings, period, path)
    return chart_caption(series, period), (str(path), "photo")


def render_chart(series: WeeklySeries, settings: HotlineSettings, period: Period, path: Path) -> None:
    """Stacked bars of questions per week by area, and the on-time share as a line (right axis)."""
    import matplotlib
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    n = len(series.weeks)
    x = list(range(n))
    with matplotlib.rc_context({"font.family": "DejaVu Sans", "font.size": 10}):
        fig = Figure(figsize=(11, 6), dpi=100, layout="constrained")
        FigureCanvasAgg(fig)
        ax = fig.add_subplot()
        colors = matplotlib.colormaps["tab20"]
        order = [a.code for a in settings.areas if a.code in series.by_area]
        order += sorted(code for code in series.by_area if code not in order)
        bottom = [0] * n
        for i, code in enumerate(order):
            values = series.by_area[code]
            ax.bar(x, values, bottom=bottom, width=0.8, color=colors(i % 20),
                   label=short_area(settings, code))
            bottom = [b + v for b, v in zip(bottom, values, strict=True)]
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_ylabel(t.CHART_QUESTIONS)
        ax.set_xlabel(t.CHART_WEEKS)
        ax.set_title(t.CHART_TITLE.format(period=period.label))
        step = max(1, n // 13)
        ax.set_xticks(x[::step], [f"{w:%d/%m}" for w in series.weeks[::step]])
        if n:
            ax.set_xlim(-0.6, n - 0.4)
        if not any(bottom):
            ax.text(0.5, 0.5, t.CHART_EMPTY, transform=ax.transAxes,
                    ha="center", va="center", fontsize=14, color="gray")
        right = ax.twinx()
        shares = [100 * ok / d if d else float("nan") for ok, d in zip(series.on_time, series.decided,
                                                                      strict=True)]
        right.plot(x, shares, color="black", marker="o", linewidth=1.8, label=t.CHART_ON_TIME_LINE)
        right.set_ylim(0, 105)
        right.set_ylabel(t.CHART_ON_TIME_AXIS)
        handles, labels = ax.get_legend_handles_labels()
        line_handles, line_labels = right.get_legend_handles_labels()
        fig.legend(handles[::-1] + line_handles, labels[::-1] + line_labels, loc="outside right upper",
                   fontsize=8, frameon=False)
        fig.savefig(path, format="png")


def chart_caption(series: WeeklySeries, period: Period) -> str:
    total = sum(sum(v) for v in series.by_area.values())
    ok, decided = sum(series.on_time), sum(series.decided)
    return t.CHART_CAPTION.format(
        period=period.label, total=count(total), weeks=len(series.weeks), share=share(ok, decided)
    )
