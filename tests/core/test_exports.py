"""Spreadsheet exports never carry a formula from what a user typed."""

import csv
import io

from openpyxl import load_workbook

from fabreck.core.exports import csv_response, xlsx_response

ROWS = [{"name": '=HYPERLINK("http://x.test","y")', "note": "+352 621 000 000", "n": -5}]
KEYS = ["name", "note", "n"]


def test_a_typed_formula_stays_text_in_csv_and_xlsx():
    response = csv_response(filename="t.csv", headers=KEYS, rows=ROWS, keys=KEYS)
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    row = list(csv.reader(io.StringIO(text)))[1]
    assert row == ['\'=HYPERLINK("http://x.test","y")', "'+352 621 000 000", "-5"]

    response = xlsx_response(filename="t.xlsx", headers=KEYS, rows=ROWS, keys=KEYS)
    sheet = load_workbook(io.BytesIO(response.content)).active
    cells = next(sheet.iter_rows(min_row=2, values_only=True))
    assert cells == ('\'=HYPERLINK("http://x.test","y")', "'+352 621 000 000", -5)
    assert all(cell.data_type != "f" for cell in next(sheet.iter_rows(min_row=2)))
