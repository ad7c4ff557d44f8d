"""A Document as an Excel workbook: a Summary sheet, then one sheet per school."""

import io
import re
from datetime import datetime
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from muster.reports.documents import Document, Table
from muster.reports.records import plain

_HEADER_FILL = PatternFill("solid", fgColor="1F3A5F")
_HEADER_FONT = Font(bold=True, color="FFFFFF")
_ALERT_FILL = PatternFill("solid", fgColor="F8D7DA")
_TITLE_FONT = Font(bold=True, size=14)
_TABLE_FONT = Font(bold=True, size=11)
_MAX_WIDTH = 48


def to_xlsx(document: Document) -> bytes:
    """Render a Document as an .xlsx file's bytes."""
    book = Workbook()
    summary = book.active
    assert summary is not None
    summary.title = "Summary"
    _fill(summary, document.title, document.subtitle, {}, document.summary)
    used = {"summary"}
    for section in document.sections:
        sheet = book.create_sheet(_sheet_name(section.key, used))
        _fill(sheet, section.title, section.key, section.figures, section.tables)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _sheet_name(key: str, used: set[str]) -> str:
    # Excel allows 31 characters and no []:*?/\ in a sheet's name, unique regardless of case.
    base = re.sub(r"[\[\]:*?/\\]", "-", key)[:31] or "site"
    name, number = base, 2
    while name.lower() in used:
        suffix = f"-{number}"
        name, number = base[: 31 - len(suffix)] + suffix, number + 1
    used.add(name.lower())
    return name


def _fill(
    sheet: Worksheet, title: str, subtitle: str, figures: dict[str, str], tables: list[Table]
) -> None:
    sheet["A1"] = title
    sheet["A1"].font = _TITLE_FONT
    sheet["A2"] = subtitle
    row = 4
    for name, value in figures.items():
        sheet.cell(row=row, column=1, value=name).font = Font(bold=True)
        sheet.cell(row=row, column=2, value=value)
        row += 1
    widths: dict[int, int] = {}
    for table in tables:
        row = _table(sheet, table, row + 1, widths)
    for column, width in widths.items():
        sheet.column_dimensions[get_column_letter(column)].width = min(width + 2, _MAX_WIDTH)


def _table(sheet: Worksheet, table: Table, row: int, widths: dict[int, int]) -> int:
    sheet.cell(row=row, column=1, value=table.title).font = _TABLE_FONT
    row += 1
    columns = [str(c) for c in table.frame.columns]
    for number, name in enumerate(columns, start=1):
        cell = sheet.cell(row=row, column=number, value=name)
        cell.fill, cell.font = _HEADER_FILL, _HEADER_FONT
        cell.alignment = Alignment(horizontal="center")
        widths[number] = max(widths.get(number, 0), len(name))
    alert = columns.index(table.alert) + 1 if table.alert in columns else None
    for values in table.frame.itertuples(index=False, name=None):
        row += 1
        for number, value in enumerate(values, start=1):
            cell = sheet.cell(row=row, column=number, value=_cell(value))
            if "%" in columns[number - 1] or columns[number - 1].endswith("_pct"):
                cell.number_format = '0.0" %"'
            if number == alert and isinstance(cell.value, int | float) and cell.value > 0:
                cell.fill = _ALERT_FILL
            widths[number] = max(widths.get(number, 0), len(str(cell.value or "")))
    return row + 1


def _cell(value: Any) -> Any:
    # Excel keeps no time zone: times are written as UTC text, so nothing shifts on opening.
    simple = plain(value)
    if simple is not None and isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    return str(simple) if isinstance(simple, list | dict) else simple
