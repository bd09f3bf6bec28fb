"""Charts for the instructor's page: PNG bytes from matplotlib, base64-encoded for a data: URI.

Figures are built with the object API (no pyplot, no global state) and saved without the software
version in their metadata, so the same grades give the same bytes.
"""

from __future__ import annotations

import base64
import io

import numpy as np
from matplotlib.figure import Figure

SIZE = (5.4, 3.2)
DPI = 100
COLORS = {"bar": "#0969da", "full": "#1a7f37", "edge": "#ffffff"}


def png_base64(figure: Figure) -> str:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI, metadata={"Software": None})
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def score_histogram(finals: list[float], max_points: float) -> str:
    """How many submissions scored how much, in bins one point wide (half a point below 10)."""
    figure = Figure(figsize=SIZE, layout="constrained")
    axes = figure.add_subplot()
    width = 0.5 if max_points <= 10 else max(1.0, round(max_points / 20))
    edges = np.arange(0, max_points + width, width)
    axes.hist(np.clip(finals, 0, max_points), bins=edges, color=COLORS["bar"],
              edgecolor=COLORS["edge"])
    axes.set_xlim(0, max_points + width)
    axes.set_xlabel(f"final score (of {max_points:g})")
    axes.set_ylabel("submissions")
    axes.yaxis.get_major_locator().set_params(integer=True)
    axes.set_title("Score distribution")
    return png_base64(figure)


def pass_rate_chart(tasks: list[str], rates: list[float]) -> str:
    """The share of submissions that earned each task's points in full."""
    figure = Figure(figsize=(SIZE[0], 0.6 + 0.35 * max(len(tasks), 3)), layout="constrained")
    axes = figure.add_subplot()
    positions = np.arange(len(tasks))[::-1]
    axes.barh(positions, [100 * r for r in rates], color=COLORS["full"])
    axes.set_yticks(positions, tasks)
    axes.set_xlim(0, 100)
    axes.set_xlabel("% of submissions with the task's full points")
    axes.set_title("Pass rate per task")
    return png_base64(figure)
