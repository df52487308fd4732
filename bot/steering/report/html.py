"""The report as one self-contained HTML file: styles and charts (SVG) inline, no script, no font
or picture fetched from anywhere (a Content-Security-Policy says so to the browser), so it opens
offline and prints on A4; on a phone, wide tables scroll sideways.

Every text is escaped: titles, owners and messages are the steering group's own words.
"""
from __future__ import annotations

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
.scroll { overflow-x: auto; margin: 1.5mm 0 4mm; }
table { width: 100%; border-collapse: collapse; font-variant-numeric: tabular-nums; table-layout: fixed; }
th, td { padding: 1.1mm 1.6mm; border-bottom: 1px solid var(--line); text-align: left; vertical-align: top;
         overflow-wrap: anywhere; }
thead th { background: var(--band); font-size: 8.6pt; font-weight: 600; }
thead th small { display: block; font-weight: 400; color: var(--muted); font-size: 7.8pt; overflow-wrap: normal; }
tbody th { font-weight: 400; }
td.n, th.n { text-align: right; white-space: nowrap; }
thead th.n { white-space: normal; }
td small, tbody th small { display: block; color: var(--muted); font-size: 8.5pt; }
tr { break-inside: avoid; page-break-inside: avoid; }
tr.group th { background: none; color: var(--accent); font-size: 9pt; padding-top: 2.5mm; border-bottom: none; }
ul { margin: 0 0 3mm; padding-left: 5mm; }
li { margin-bottom: 1.5mm; }
.facts { display: grid; grid-template-columns: repeat(3, 1fr); gap: 2.5mm; margin: 0 0 4mm; }
.fact { border: 1px solid var(--line); border-radius: 1.5mm; padding: 2.5mm 3mm; break-inside: avoid; }
.fact b { display: block; font-size: 17pt; line-height: 1.15; color: var(--accent); }
.fact span { color: var(--muted); font-size: 9pt; }
figure { margin: 1mm 0 4mm; break-inside: avoid; page-break-inside: avoid; }
figure svg { display: block; width: 100%; height: auto; }
figcaption { color: var(--muted); font-size: 8.5pt; }
footer { margin-top: 8mm; padding-top: 2mm; border-top: 1px solid var(--line); color: var(--muted);
         font-size: 8.5pt; }
@media screen and (max-width: 640px) {
  html { font-size: 10pt; }
  table { table-layout: auto; min-width: 150mm; }
  body { padding: 4mm 3.5mm; }
  .facts { grid-template-columns: repeat(2, 1fr); }
  h1 { font-size: 16pt; }
}
@media print { body { max-width: none; padding: 0; } .scroll { overflow: visible; } }
"""

CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"


def _head_cell(text: str, numeric: bool) -> str:
    main, _, sub = text.partition("\n")
    cls = ' class="n"' if numeric else ""
    return f"<th{cls}>{escape(main)}" + (f"<small>{escape(sub)}</small>" if sub else "") + "</th>"


def _cell(text: str, numeric: bool) -> str:
    main, _, sub = text.partition("\n")
    if numeric:
        return f'<td class="n">{escape(main)}</td>'
    return f"<td>{escape(main)}" + (f"<small>{escape(sub)}</small>" if sub else "") + "</td>"


def _row_head(text: str) -> str:
    main, _, sub = text.partition("\n")
    return f'<th scope="row">{escape(main)}' + (f"<small>{escape(sub)}</small>" if sub else "") + "</th>"


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
        cells = "".join(_cell(c, block.numeric and j > 0) if j else _row_head(c) for j, c in enumerate(row))
        rows.append(f"<tr>{cells}</tr>")
    return (f'<div class="scroll"><table>{_columns(block)}<thead><tr>{head}</tr></thead><tbody>{"".join(rows)}'
            "</tbody></table></div>")


def block(item, charts: dict[str, str]) -> str:
    if isinstance(item, Para):
        return f'<p class="{item.style}">{escape(item.text)}</p>'
    if isinstance(item, Bullets):
        return "<ul>" + "".join(f"<li>{escape(text)}</li>" for text in item.items) + "</ul>"
    if isinstance(item, Facts):
        return '<div class="facts">' + "".join(
            f'<div class="fact"><b>{escape(value)}</b><span>{escape(what)}</span></div>'
            for value, what in item.items) + "</div>"
    if isinstance(item, Table):
        return table(item)
    if isinstance(item, Chart):
        svg = charts.get(item.key)
        if not svg:
            return ""
        return f'<figure role="img" aria-label="{escape(item.alt)}">{svg}</figure>'
    raise TypeError(item)


def section(item: Section, charts: dict[str, str]) -> str:
    return f"<section><h2>{escape(item.title)}</h2>" + "".join(block(b, charts) for b in item.blocks) + "</section>"


def render(doc: Document, charts: dict[str, str]) -> str:
    """The whole file. `charts`: key -> inline SVG (charts.py)."""
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
