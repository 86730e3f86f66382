"""Patient reports: Jinja2 HTML and WeasyPrint PDF, with matplotlib figures (outer ring)."""

from ptsdrx.reports._figures import outcome_figure, trajectory_figure
from ptsdrx.reports._patient import pcl5_trajectory, render_html, render_pdf, write_report

__all__ = [
    "outcome_figure",
    "pcl5_trajectory",
    "render_html",
    "render_pdf",
    "trajectory_figure",
    "write_report",
]
