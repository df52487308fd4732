"""The report as one self-contained HTML file: styles and charts (SVG) inline, no script, no font
or picture fetched from anywhere (a Content-Security-Policy says so to the browser), so it opens
offline and prints on A4.

On a phone (a screen up to 640 px wide) nothing scrolls sideways: each table row becomes a card,
its first cell the card's title; a table of numbers puts its values side by side under their column's
name, a table of words stacks each value under its column's name (`data-label`, drawn by CSS), and
every chart shows its narrow drawing (charts.py), whose text stays readable. Words wrap between
words, never inside one.

Every text is escaped: titles, owners and messages are the steering group's own words.
"""
from __future__ import annotations

import re
from html import escape

from .document import Bullets, Chart, Document, Facts, Para, Section, Table

STYLE = """
@page { size: A4; margin: 15mm 14mm 17mm; }
:root { --ink: #1f2a30; --muted: #5f6f75; --accent: #1b6f80; --line: #d3e0e3; --band: #edf4f5; }
* { box-sizing: border-box; }
html { color: var(--ink); background: #fff; font-size: 10.5pt; line-height: 1.45;
       font-family: "Segoe UI", "Helvetica Neue", Arial, "Liberation Sans", "DejaVu Sans", sans-serif; }
body { margin: 0 auto; max-width: 186mm; padding: 10mm 6mm 12mm; }
header { border-bottom: 3px solid var(--accent); padding-bottom: 3mm; margin-bottom: 5mm; }
.kicker { margin: 0; color: var(--accent); font-weight: 600; letter-spacing: .08em; text-transform: uppercase;
          font-size: 8.5pt; }
h1 { font-size: 19pt; line-height: 1.2; margin: 1mm 0 1.5mm; }
.subtitle { margin: 0; color: var(--muted); }
h2 { font-size: 13pt; color: var(--accent); margin: 7mm 0 2.5mm; padding-bottom: 1mm;
     border-bottom: 1px solid var(--line); break-after: avoid; page-break-after: avoid; }
p { margin: 0 0 2.5mm; }
p.lead { font-size: 11.5pt; }
p.note { color: var(--muted); font-size: 9pt; }
table { width: 100%; border-collapse: collapse; font-variant-numeric: tabular-nums; table-layout: fixed;
        margin: 1.5mm 0 4mm; }
th, td { padding: 1.1mm 1.6mm; border-bottom: 1px solid var(--line); text-align: left; vertical-align: top;
         overflow-wrap: break-word; hyphens: manual; }
thead th { background: var(--band); font-size: 8.6pt; font-weight: 600; }
thead th small { display: block; font-weight: 400; color: var(--muted); font-size: 7.8pt; }
tbody th { font-weight: 400; }
td.n, th.n { text-align: right; }
td small, tbody th small { display: block; color: var(--muted); font-size: 8.5pt; }
tr { break-inside: avoid; page-break-inside: avoid; }
tr.group th { background: none; color: var(--accent); font-size: 9pt; padding-top: 2.5mm; border-bottom: none; }
ul { margin: 0 0 3mm; padding-left: 5mm; }
li { margin-bottom: 1.5mm; }
.facts { display: grid; grid-template-columns: repeat(3, 1fr); gap: 2.5mm; margin: 0 0 4mm; }
.fact { border: 1px solid var(--line); border-radius: 1.5mm; padding: 2.5mm 3mm; break-inside: avoid; }
.fact b { display: block; font-size: 17pt; line-height: 1.15; color: var(--accent); }
.fact span { color: var(--muted); font-size: 9pt; }
.opening { break-inside: avoid; page-break-inside: avoid; }
figure { margin: 1mm 0 4mm; break-inside: avoid; page-break-inside: avoid; }
figure svg { display: block; width: 100%; height: auto; }
figure .narrow { display: none; }
footer { margin-top: 8mm; padding-top: 2mm; border-top: 1px solid var(--line); color: var(--muted);
         font-size: 8.5pt; }
@media screen and (max-width: 640px) {
  html { font-size: 11pt; }
  body { padding: 4mm 3.5mm; }
  .facts { grid-template-columns: repeat(2, minmax(0, 1fr)); }
  .fact b { font-size: 15pt; }
  h1 { font-size: 17pt; }
  figure .wide { display: none; }
  figure .narrow { display: block; max-width: 120mm; }
  table, tbody, tr, th, td { display: block; width: auto; }
  colgroup { display: none; }
  thead { position: absolute; width: 1px; height: 1px; overflow: hidden; clip-path: inset(50%); white-space: nowrap; }
  tr { padding: 2mm 0 2.2mm; border-bottom: 1px solid var(--line); }
  th, td { border: none; padding: 0; }
  tbody th[scope=row] { font-weight: 600; margin-bottom: .8mm; }
  tr.group { padding: 3mm 0 0; border: none; }
  tr.group th { padding: 0; font-size: 10pt; }
  td::before { content: attr(data-label); display: block; color: var(--muted); font-size: 8.5pt; line-height: 1.3; }
  /* as many values side by side as fit whole ("at least 95 %" never parts mid-word); the rest below */
  table.numbers tr:not(.group) { display: grid; grid-template-columns: repeat(auto-fit, minmax(min(100%, 5.6em), 1fr));
                                 column-gap: 2.5mm; row-gap: 1mm; }
  table.numbers td.n { overflow-wrap: normal; }
  table.numbers tbody th[scope=row] { grid-column: 1 / -1; }
  table.numbers td.n { text-align: left; }
  table.words td { display: grid; grid-template-columns: minmax(0, 7.5em) minmax(0, 1fr); column-gap: 3mm;
                   margin-top: .6mm; }
  table.words td::before { display: inline; font-size: 9pt; line-height: inherit; }
  table.words td:not([data-label]) { display: block; }
  table.words td small { grid-column: 2; }
}
@media print {
  html { font-size: 10pt; }
  body { max-width: none; padding: 0; }
  figure .wide svg { width: 165mm; max-width: 100%; }  /* as drawn: the PDF's size, never enlarged */
  footer { break-before: avoid; page-break-before: avoid; }
  section:last-child > :last-child { break-after: avoid; page-break-after: avoid; }
}
"""

UNIT = re.compile(r"(?<=\d) (?=%|[hu]\b)")  # 95 %, 3 h, 3 u
RANGE = re.compile(r"(?<=\d)–(?=\d)")


def _text(text: str) -> str:
    """Text for the page, escaped, where a number keeps its unit and a range its ends: "95 %",
    "3 h", "8–13" never part at a line's end."""
    return escape(RANGE.sub("\u2060–\u2060", UNIT.sub("\u00a0", text)))


CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"


def _head_cell(text: str, numeric: bool) -> str:
    main, _, sub = text.partition("\n")
    cls = ' class="n"' if numeric else ""
    return f'<th scope="col"{cls}>{escape(main)}' + (f"<small>{escape(sub)}</small>" if sub else "") + "</th>"


def _label(head: str) -> str:
    """A column's name as a phone shows it above each value (its first line: "Q1 2025", "Owner")."""
    main = head.partition("\n")[0]
    return f' data-label="{escape(main)}"' if main else ""


def _cell(text: str, numeric: bool, head: str) -> str:
    main, _, sub = text.partition("\n")
    if numeric:
        return f'<td class="n"{_label(head)}>{_text(main)}</td>'
    return f"<td{_label(head)}>{_text(main)}" + (f"<small>{escape(sub)}</small>" if sub else "") + "</td>"


def _row_head(text: str) -> str:
    main, _, sub = text.partition("\n")
    return f'<th scope="row">{_text(main)}' + (f"<small>{_text(sub)}</small>" if sub else "") + "</th>"


def _columns(block: Table) -> str:
    relative = block.widths or (2.4, *([1] * (len(block.head) - 1)))
    return "<colgroup>" + "".join(f'<col style="width:{100 * w / sum(relative):.1f}%">' for w in relative) + \
        "</colgroup>"


def table(block: Table) -> str:
    head = "".join(_head_cell(h, block.numeric and i > 0) for i, h in enumerate(block.head))
    groups = dict(block.groups)
    rows = []
    for i, row in enumerate(block.rows):
        if i in groups:
            rows.append(f'<tr class="group"><th colspan="{len(block.head)}">{escape(groups[i])}</th></tr>')
        cells = "".join(_cell(c, block.numeric and j > 0, block.head[j]) if j else _row_head(c)
                        for j, c in enumerate(row))
        rows.append(f"<tr>{cells}</tr>")
    kind = "numbers" if block.numeric else "words"
    return (f'<table class="{kind}">{_columns(block)}'
            f'<thead><tr>{head}</tr></thead><tbody>{"".join(rows)}'
            "</tbody></table>")


def block(item, charts: dict[str, tuple[str, str]]) -> str:
    if isinstance(item, Para):
        return f'<p class="{item.style}">{_text(item.text)}</p>'
    if isinstance(item, Bullets):
        return "<ul>" + "".join(f"<li>{_text(text)}</li>" for text in item.items) + "</ul>"
    if isinstance(item, Facts):
        return '<div class="facts">' + "".join(
            f'<div class="fact"><b>{_text(value)}</b><span>{_text(what)}</span></div>'
            for value, what in item.items) + "</div>"
    if isinstance(item, Table):
        return table(item)
    if isinstance(item, Chart):
        drawn = charts.get(item.key)
        if not drawn:
            return ""
        wide, narrow = drawn
        return (f'<figure role="img" aria-label="{escape(item.alt)}"><div class="wide">{wide}</div>'
                f'<div class="narrow">{narrow}</div></figure>')
    raise TypeError(item)


def section(item: Section, charts: dict[str, tuple[str, str]]) -> str:
    """A section; its heading is kept on one page with its first paragraph and a chart that follows
    it (printed, a chart never stands apart from its section)."""
    blocks = list(item.blocks)
    opening = 2 if len(blocks) > 1 and isinstance(blocks[1], Chart) else 1
    head = f"<h2>{escape(item.title)}</h2>" + "".join(block(b, charts) for b in blocks[:opening])
    return (f'<section><div class="opening">{head}</div>' + "".join(block(b, charts) for b in blocks[opening:])
            + "</section>")


def render(doc: Document, charts: dict[str, tuple[str, str]]) -> str:
    """The whole file. `charts`: key -> (wide, narrow) inline SVG (charts.py)."""
    body = "".join(section(s, charts) for s in doc.sections)
    return (
        f'<!DOCTYPE html>\n<html lang="{escape(doc.lang)}">\n<head>\n<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<meta name="robots" content="noindex">\n'
        f"<title>{escape(doc.title)}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n"
        f'<header><p class="kicker">Waakzaam</p><h1>{escape(doc.title)}</h1>'
        f'<p class="subtitle">{escape(doc.subtitle)}</p></header>\n<main>{body}</main>\n'
        f"<footer>{escape(doc.footer)}</footer>\n</body>\n</html>\n"
    )


__all__ = ["render", "STYLE", "CSP"]
