"""Server-rendered line charts as accessible SVG (templates/components/chart.html draws them).

No JavaScript and nothing fetched: the page works under a strict Content-Security-Policy, and
every chart has a title, a description and, on its page, the table of the same numbers.
"""

from __future__ import annotations

from dataclasses import dataclass, field

WIDTH, HEIGHT = 480, 300
LEFT, RIGHT, TOP, BOTTOM = 52, 16, 26, 44
MAX_POINTS = 300  # a curve is drawn through at most this many points


@dataclass
class Series:
    label: str
    points: list[tuple[float, float]]
    style: str = "line"  # "line" | "dots" | "reference"
    path: str = ""
    dots: list[tuple[float, float]] = field(default_factory=list)


@dataclass
class Chart:
    slug: str
    title: str
    description: str
    x_label: str
    y_label: str
    series: list[Series]
    x_ticks: list[tuple[float, str]]
    y_ticks: list[tuple[float, str]]
    width: int = WIDTH
    height: int = HEIGHT
    plot: tuple[int, int, int, int] = (LEFT, TOP, WIDTH - RIGHT, HEIGHT - BOTTOM)


class Scale:
    def __init__(self, low: float, high: float, start: float, end: float):
        self.low, self.span = low, (high - low) or 1.0
        self.start, self.length = start, end - start

    def __call__(self, value: float) -> float:
        return round(self.start + (value - self.low) / self.span * self.length, 1)


def line_chart(*, slug: str, title: str, description: str, x_label: str, y_label: str,
               series: list[Series], x_range: tuple[float, float] = (0.0, 1.0),
               y_range: tuple[float, float] = (0.0, 1.0),
               x_ticks: list[tuple[float, str]] | None = None) -> Chart:  # fmt: skip
    """A chart of `series` in data coordinates; x_ticks default to five steps of x_range."""
    x = Scale(*x_range, LEFT, WIDTH - RIGHT)
    y = Scale(*y_range, HEIGHT - BOTTOM, TOP)
    for line in series:
        pixels = [(x(px), y(py)) for px, py in line.points]
        line.path = " ".join(f"{px},{py}" for px, py in pixels)
        line.dots = pixels if line.style == "dots" else []
    return Chart(
        slug=slug, title=title, description=description, x_label=x_label, y_label=y_label,
        series=series, x_ticks=[(x(v), label) for v, label in (x_ticks or _steps(x_range))],
        y_ticks=[(y(v), label) for v, label in _steps(y_range)],
    )  # fmt: skip


def thin(points: list[tuple[float, float]], limit: int = MAX_POINTS) -> list[tuple[float, float]]:
    """Every k-th point and the last: the page stays small whatever the number of answers."""
    if len(points) <= limit:
        return points
    step = -(-len(points) // limit)
    return points[::step] + ([points[-1]] if (len(points) - 1) % step else [])


def _steps(bounds: tuple[float, float], count: int = 5) -> list[tuple[float, str]]:
    low, high = bounds
    return [(low + (high - low) * i / count, f"{low + (high - low) * i / count:.1f}")
            for i in range(count + 1)]  # fmt: skip


def reliability_chart(bins) -> Chart:
    filled = [(b.mean_score, b.observed) for b in bins if b.count]
    return line_chart(
        slug="reliability", title="Reliability diagram",
        description="Mean validator score in each score bin against the share of those answers "
                    "that experts verified correct; a calibrated validator lies on the diagonal.",
        x_label="mean validator score", y_label="share verified correct",
        series=[Series("perfect calibration", [(0, 0), (1, 1)], style="reference"),
                Series("this validator", filled, style="dots")],
    )  # fmt: skip


def precision_recall_chart(curve: list[tuple[float, float]], chosen: dict | None) -> Chart:
    series = [Series("precision–recall curve", thin(sorted(curve)))]
    if chosen and chosen["precision"].estimate is not None and chosen["recall"].estimate is not None:
        point = (chosen["recall"].estimate, chosen["precision"].estimate)
        series.append(Series(f"threshold {chosen['threshold']:.2f}", [point], style="dots"))
    return line_chart(
        slug="precision-recall", title="Precision against recall",
        description="Each point is a score threshold: answers scoring at or above it are accepted. "
                    "Recall is the share of verified-correct answers accepted; precision the share "
                    "of accepted answers that experts verified correct.",
        x_label="recall", y_label="precision", series=series,
    )  # fmt: skip


def weekly_pass_rate_chart(weekly: list[dict]) -> Chart:
    points = [(i, w["rate"].estimate or 0.0) for i, w in enumerate(weekly)]
    every = max(1, -(-len(weekly) // 5))
    ticks = [(i, w["week"].strftime("%b %Y")) for i, w in enumerate(weekly) if i % every == 0]
    return line_chart(
        slug="pass-rate", title="Pass rate by week",
        description="The share of answers this validator accepted, by the week the answers were "
                    "submitted.",
        x_label="week submitted", y_label="pass rate",
        series=[Series("pass rate", points, style="dots" if len(points) == 1 else "line")],
        x_range=(0, max(1, len(weekly) - 1)), x_ticks=ticks,
    )  # fmt: skip
