"""Workbooks of adjustments written by a second writer (openpyxl), for the import's tests.

    python make_workbooks.py FOLDER

writes into FOLDER:
  good.xlsx         dates as date cells, text dates, numbers, a formula with its value, a customer code with
                    leading zeros, shared strings with rich text, an inline string, an empty row, headings in another
                    order
  dates1904.xlsx    the same dates in a workbook of the 1904 date system
  second-sheet.xlsx the rows on a sheet named "November", after a sheet of notes
  no-value.xlsx     a formula without its calculated value (openpyxl never calculates)
  error.xlsx        a cell holding #DIV/0!
  bad-rows.xlsx     rows the import refuses, for the problems report (sheet rows and cells)
  not-workbook.zip  a zip archive of a text file
  many-parts.zip    a zip of 10,001 parts
"""

import datetime
import re
import sys
import zipfile
from decimal import Decimal
from pathlib import Path

import openpyxl
from openpyxl.cell.rich_text import CellRichText, TextBlock
from openpyxl.cell.text import InlineFont
from openpyxl.utils.datetime import CALENDAR_MAC_1904

folder = Path(sys.argv[1])
folder.mkdir(parents=True, exist_ok=True)

HEADINGS = ["Amount", "Customer Code", "Adjustment Date", "Reason", "Notes"]


def rows_sheet(sheet, formula=True):
    sheet.append(HEADINGS)
    sheet.append([Decimal("-125.50"), "ACME", datetime.date(2026, 11, 1), None, "Goodwill, per call"])
    sheet.append([Decimal("99.25"), "00123", datetime.date(2026, 12, 31), "REBATE", CellRichText(["Rich ", TextBlock(InlineFont(b=True), "bold"), " text"])])
    sheet.append([])  # an empty row: skipped
    sheet.append([1, "beta", "2027-01-02", None, "a date typed as text"])
    sheet.append([None, "ACME", datetime.date(2026, 11, 3), None, "formula"])
    sheet["A6"] = "=-A2*2" if formula else 251
    return sheet


def set_cached_value(path, cell, value):
    """Gives a formula cell the value a spreadsheet would have saved with it."""
    with zipfile.ZipFile(path) as source:
        parts = {name: source.read(name) for name in source.namelist()}
    xml = parts["xl/worksheets/sheet1.xml"].decode()
    xml, n = re.subn(rf'(<c r="{cell}"[^>]*>)<f>([^<]*)</f><v\s*/?>(</v>)?', rf"\1<f>\2</f><v>{value}</v>", xml)
    assert n == 1, f"no formula in {cell}"
    parts["xl/worksheets/sheet1.xml"] = xml.encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for name, data in parts.items():
            target.writestr(name, data)


def shared_strings(path, keep_inline=()):
    """Moves the text of every cell but `keep_inline` into the shared strings part, as Excel
    stores text (openpyxl writes inline strings)."""
    with zipfile.ZipFile(path) as source:
        parts = {name: source.read(name) for name in source.namelist()}
    xml = parts["xl/worksheets/sheet1.xml"].decode()
    strings = []

    def share(match):
        if match.group(1) in keep_inline:
            return match.group(0)
        strings.append(match.group(3))
        return f'<c r="{match.group(1)}"{match.group(2)} t="s"><v>{len(strings) - 1}</v></c>'

    xml = re.sub(r'<c r="([A-Z]+[0-9]+)"([^>]*?) t="inlineStr"><is>(.*?)</is></c>', share, xml)
    parts["xl/worksheets/sheet1.xml"] = xml.encode()
    items = "".join(f"<si>{text}</si>" for text in strings)
    parts["xl/sharedStrings.xml"] = (
        '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        f'count="{len(strings)}" uniqueCount="{len(strings)}">{items}</sst>'
    ).encode()
    types = parts["[Content_Types].xml"].decode()
    parts["[Content_Types].xml"] = types.replace(
        "</Types>",
        '<Override PartName="/xl/sharedStrings.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>',
    ).encode()
    rels = parts["xl/_rels/workbook.xml.rels"].decode()
    parts["xl/_rels/workbook.xml.rels"] = rels.replace(
        "</Relationships>",
        '<Relationship Id="rIdStrings" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" '
        'Target="sharedStrings.xml"/></Relationships>',
    ).encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for name, data in parts.items():
            target.writestr(name, data)


book = openpyxl.Workbook()
rows_sheet(book.active)
book.save(folder / "good.xlsx")
set_cached_value(folder / "good.xlsx", "A6", "251")
shared_strings(folder / "good.xlsx", keep_inline=("B5",))

book = openpyxl.Workbook()
book.epoch = CALENDAR_MAC_1904
rows_sheet(book.active)
book.save(folder / "dates1904.xlsx")
set_cached_value(folder / "dates1904.xlsx", "A6", "251")

book = openpyxl.Workbook()
book.active.title = "Notes"
book.active.append(["These are notes, not adjustments"])
rows_sheet(book.create_sheet("November"), formula=False)
book.save(folder / "second-sheet.xlsx")

book = openpyxl.Workbook()
rows_sheet(book.active)
book.save(folder / "no-value.xlsx")

book = openpyxl.Workbook()
sheet = book.active
sheet.append(HEADINGS)
sheet.append([1, "ACME", datetime.date(2026, 11, 1)])
sheet.append(["#DIV/0!", "ACME", datetime.date(2026, 11, 2)])
book.save(folder / "error.xlsx")

book = openpyxl.Workbook()
sheet = book.active
sheet.append(HEADINGS)
sheet.append([1, "ACME", datetime.date(2026, 11, 1)])
sheet.append([])
sheet.append([])
sheet.append(["ten", "ACME", datetime.date(2026, 11, 2)])
sheet.append([99.99, "ACME", datetime.date(2026, 11, 2)])
sheet.append([2, "NOBODY", datetime.date(2026, 11, 3)])
book.save(folder / "bad-rows.xlsx")

with zipfile.ZipFile(folder / "not-workbook.zip", "w") as archive:
    archive.writestr("hello.txt", "not a workbook")

with zipfile.ZipFile(folder / "many-parts.zip", "w") as archive:
    archive.writestr("xl/workbook.xml", "<workbook/>")
    for index in range(10_001):
        archive.writestr(f"part{index}.txt", "")
