"""A Document as an HTML page (Jinja2, every value escaped) and as a printable PDF.

The PDF is the same page laid out for A4 paper by WeasyPrint: the district
summary first, then one page per school with its figures, gap table and
chart; long asset lists stay in the spreadsheet and the HTML page.
"""

import base64
from datetime import datetime
from typing import Any

import jinja2

from muster.reports.documents import Document
from muster.reports.records import plain

_ENVIRONMENT = jinja2.Environment(
    loader=jinja2.PackageLoader("muster.reports", "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


def cell(value: Any) -> str:
    """A table cell as text: empty for NA, minutes for times, one decimal for fractions."""
    simple = plain(value)
    if simple is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(simple, float):
        return f"{simple:.1f}"
    return str(simple)


def cell_class(value: Any, alert: bool) -> str:
    """CSS classes of a cell: numbers align right; a non-zero alert column stands out."""
    simple = plain(value)
    numeric = isinstance(simple, int | float) and not isinstance(simple, bool)
    classes = ["number"] if numeric else []
    if alert and numeric and simple:
        classes.append("alert")
    return " ".join(classes)


_ENVIRONMENT.filters["cell"] = cell
_ENVIRONMENT.filters["cell_class"] = cell_class
_ENVIRONMENT.filters["b64"] = lambda data: base64.b64encode(data).decode("ascii")


def to_html(document: Document, *, overview_chart: bytes | None = None) -> str:
    """Render a Document as a standalone HTML page."""
    return _render(document, overview_chart, printing=False)


def to_pdf(document: Document, *, overview_chart: bytes | None = None) -> bytes:
    """Render a Document as a PDF: summary first, one page per school."""
    import weasyprint  # heavy, and only needed here

    page = _render(document, overview_chart, printing=True)
    pdf: bytes = weasyprint.HTML(string=page).write_pdf()
    return pdf


def _render(document: Document, overview_chart: bytes | None, *, printing: bool) -> str:
    chart = base64.b64encode(overview_chart).decode("ascii") if overview_chart else None
    template = _ENVIRONMENT.get_template("report.html.j2")
    return template.render(document=document, overview_chart=chart, printing=printing)
