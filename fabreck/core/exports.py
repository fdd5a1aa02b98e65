"""Tabular exports (CSV, XLSX) that stream rows instead of building them in memory."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator

from django.http import HttpResponse, StreamingHttpResponse


class _Echo:
    def write(self, value: str) -> str:
        return value


# A text starting with one of these is read as a formula by spreadsheet programs: what a
# user typed (a note, a name) must not run in the reader's spreadsheet.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: object) -> object:
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_response(
    *, filename: str, headers: list[str], rows: Iterable[dict], keys: list[str]
) -> StreamingHttpResponse:
    writer = csv.writer(_Echo())

    def lines() -> Iterator[str]:
        yield "\ufeff"  # lets spreadsheet programs read UTF-8 (accents) correctly
        yield writer.writerow(headers)
        for row in rows:
            yield writer.writerow([_cell(row[key]) for key in keys])

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def xlsx_response(
    *, filename: str, headers: list[str], rows: Iterable[dict], keys: list[str]
) -> HttpResponse:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)  # rows are written out as they come
    sheet = workbook.create_sheet()
    sheet.append(headers)
    for row in rows:
        sheet.append([_cell(row[key]) for key in keys])
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = HttpResponse(
        buffer.getvalue(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
