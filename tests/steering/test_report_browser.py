"""The report on a generated year, opened in a real browser (headless Chromium) and its PDF
rendered to pages a person can read.

Chromium comes from the system (Debian's `chromium`; .ci/run installs it). On CI a missing
Chromium fails the test; on a developer's machine without it the test is skipped, saying why.
"""
from __future__ import annotations

import io
import json
import os
import re
import shutil
import subprocess
from html import escape, unescape
from pathlib import Path

import pypdfium2 as pdfium
import pytest
from PIL import Image
from report_demo import demo_report

A4 = (595.3, 841.9)  # points
SECTIONS = ("About this report", "Volumes and trend", "The contact promise", "Themes", "Levels and departments",
            "Concerns, collective character and referrals", "Signals without a conversation", "Signals and actions",
            "Feedback from colleagues", "The network", "What is hidden and why")


def _chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    if found:
        return found
    if os.environ.get("CI"):
        pytest.fail("headless Chromium is missing on CI: .ci/run must install it (apt-get install chromium)")
    pytest.skip("headless Chromium is not installed here (apt-get install chromium); CI runs this test")


def _browse(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    profile = tmp_path / f"profile-{len(list(tmp_path.glob('profile-*')))}"
    command = [_chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
               "--disable-background-networking", "--disable-component-update", "--disable-sync",
               "--disable-dev-shm-usage", f"--user-data-dir={profile}", *args]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    return done


def _ink(image: Image.Image) -> float:
    """The share of pixels that are not (nearly) white: a blank page is 0."""
    grey = image.convert("L").resize((200, int(200 * image.height / image.width)))
    pixels = grey.tobytes()
    return sum(p < 200 for p in pixels) / len(pixels)


@pytest.fixture(scope="module")
def demo():
    return demo_report("2025", "en")


def test_the_report_opens_offline_in_a_real_browser(demo, tmp_path):
    page = tmp_path / "report.html"
    page.write_text(demo.html, encoding="utf-8")
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", demo.html)  # nothing fetched from anywhere
    assert "<script" not in demo.html and "default-src 'none'" in demo.html
    shots = {width: tmp_path / f"shot-{width}.png" for width in (1000, 390)}  # a desk, and a phone
    dom = _browse(tmp_path, "--dump-dom", "--window-size=1000,2600", "--hide-scrollbars", f"--screenshot={shots[1000]}",
                  page.as_uri()).stdout  # one start for both: a start costs a second and a half of CPU
    assert "<h1>The vigilance network: report 2025</h1>" in dom
    assert dom.count("<section>") == len(SECTIONS)
    assert dom.count("<svg") == 4  # the trend and the themes, inline, each drawn wide and narrow
    for title in SECTIONS:
        assert f"<h2>{title}</h2>" in dom
    _browse(tmp_path, "--window-size=390,2600", "--hide-scrollbars", f"--screenshot={shots[390]}", page.as_uri())
    for width, shot in shots.items():
        image = Image.open(shot)
        assert image.size == (width, 2600) and 0.02 < _ink(image) < 0.5


# Measured in real viewports of the given widths: the report (unchanged, its CSP forbids scripts)
# in a frame of each width, side by side, and a script in the page around them writes what it
# measured for --dump-dom. (Headless Chromium's window is never narrower than 500 px; a frame is
# exactly as wide as asked. One browser for both widths: a start costs a second and a half of CPU.)
MEASURE = """<!DOCTYPE html><html><head><meta charset="utf-8"></head><body style="margin:0;white-space:nowrap">FRAMES
<script>
const frames = [...document.querySelectorAll("iframe")], measured = {};
let loaded = 0;
frames.forEach(frame => frame.addEventListener("load", () => {
  measured[frame.dataset.width] = measure(frame);
  if (++loaded < frames.length) return;
  const out = document.createElement("pre");
  out.id = "measured";
  out.textContent = JSON.stringify(measured);
  document.body.append(out);
}));
function measure(frame) {
  const doc = frame.contentDocument, win = frame.contentWindow;
  const width = doc.documentElement.clientWidth, wider = [], small = [];
  for (const el of doc.querySelectorAll("body *")) {
    const box = el.getBoundingClientRect();
    if (!box.width || !box.height) continue;
    if (el.closest("thead")) continue;  // on a phone the header row is for screen readers only (1 px)
    if (box.right > width + 0.5 || box.left < -0.5)
      wider.push(el.tagName + " " + (el.textContent || "").trim().slice(0, 40) + " " + Math.round(box.right));
    const text = [...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim());
    if (text && parseFloat(win.getComputedStyle(el).fontSize) < 10.5) small.push(el.tagName + " " + el.textContent.trim().slice(0, 30));
  }
  const split = [], walker = doc.createTreeWalker(doc.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    if (node.parentElement.closest("thead, style")) continue;
    const box = node.parentElement, style = win.getComputedStyle(box);
    const room = box.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
    // a word on two lines was cut in the middle (after a hyphen a line may end; "6–8" is one word),
    // unless the word alone is wider than its column
    for (const word of node.textContent.matchAll(/[^\\s-]+-?/g)) {
      const range = doc.createRange();
      range.setStart(node, word.index);
      range.setEnd(node, word.index + word[0].length);
      const rects = [...range.getClientRects()].filter(r => r.width > 0);
      const lines = new Set(rects.map(r => Math.round(r.top)));
      if (lines.size > 1 && rects.reduce((sum, r) => sum + r.width, 0) <= room + 1) split.push(word[0]);
    }
  }
  const svgs = [...doc.querySelectorAll("figure svg")].filter(s => s.getBoundingClientRect().width > 0)
    .map(s => s.getBoundingClientRect().width / s.width.baseVal.value);
  return {viewport: win.innerWidth, width, scroll: doc.documentElement.scrollWidth, wider, small, svgs, split,
          tables: [...doc.querySelectorAll("table")].map(t => t.getBoundingClientRect().width)};
}
</script></body></html>"""


def _measure(demo_html: str, tmp_path: Path, widths: tuple[int, ...]) -> dict[int, dict]:
    page = tmp_path / "measure.html"
    frames = "".join(f'<iframe data-width="{width}" style="width:{width}px;height:2400px;border:0;'
                     f'display:inline-block;vertical-align:top" srcdoc="{escape(demo_html, quote=True)}"></iframe>'
                     for width in widths)
    page.write_text(MEASURE.replace("FRAMES", frames), encoding="utf-8")
    dom = _browse(tmp_path, f"--window-size={sum(widths) + 100},2600", "--dump-dom", page.as_uri()).stdout
    found = re.search(r'<pre id="measured">(.*?)</pre>', dom, re.S)
    assert found, dom[-500:]
    return {int(width): measured for width, measured in json.loads(unescape(found.group(1))).items()}


@pytest.mark.parametrize("lang", ["en", "fr", "nl"])
def test_every_table_and_chart_fits_the_screen_without_sideways_scrolling(lang, tmp_path):
    """A phone (390 px) and a desk (1280 px): no element is wider than the screen, so nothing
    scrolls sideways, and no word is cut over two lines; on the phone no text is smaller than 10.5 px, the tables are cards and the
    charts are drawn for the narrow screen (their text at least as large as drawn)."""
    demo = demo_report("2025", lang)
    for width, measured in _measure(demo.html, tmp_path, (390, 1280)).items():
        assert measured["viewport"] == width  # the content is narrower by the frame's scroll bar
        assert measured["scroll"] <= measured["width"], (width, measured["wider"][:10])
        assert measured["wider"] == [], width
        assert measured["split"] == [], width  # lines part between words: never "minsten / s 92 %"
        assert measured["tables"] and all(w <= measured["width"] for w in measured["tables"]), width
        assert len(measured["svgs"]) == 2, width  # one drawing of each chart is shown
        if width == 390:
            assert measured["small"] == []
            # the narrow drawing, barely scaled: its smallest text (the legend, 8.7 pt as drawn) stays above
            # 10.5 px (the wide one would be shrunk to about 0.55, its text to 6 px)
            assert all(scale >= 0.9 for scale in measured["svgs"]), measured["svgs"]


def test_the_browser_prints_the_report_on_a4_pages(demo, tmp_path):
    page = tmp_path / "report.html"
    page.write_text(demo.html, encoding="utf-8")
    printed = tmp_path / "printed.pdf"
    _browse(tmp_path, "--no-pdf-header-footer", f"--print-to-pdf={printed}", page.as_uri())
    pdf = pdfium.PdfDocument(printed)
    assert 4 <= len(pdf) <= 12
    for number in range(len(pdf)):
        width, height = pdf[number].get_size()
        assert abs(width - A4[0]) < 2 and abs(height - A4[1]) < 2
        assert pdf[number].get_textpage().get_text_range().strip()
    assert "The vigilance network: report 2025" in pdf[0].get_textpage().get_text_range()
    assert _ink(pdf[0].render(scale=1).to_pil()) > 0.02
    last = pdf[len(pdf) - 1].get_textpage().get_text_range()
    assert "What is hidden and why" in last or "A small number could point at a colleague" in last  # never the
    # footer alone on a page of its own


def _page_text(pdf, number: int) -> str:
    return " ".join(pdf[number].get_textpage().get_text_range().split())


def _chart_pages(pdf) -> list[int]:
    return [n for n in range(len(pdf)) if any(obj.type == pdfium.raw.FPDF_PAGEOBJ_IMAGE for obj in pdf[n].get_objects())]


def test_a_chart_is_printed_on_the_page_of_its_section_heading(demo):
    """In the PDF each chart opens its section: the page that holds the chart holds its heading."""
    pdf = pdfium.PdfDocument(io.BytesIO(demo.pdf))
    pages = _chart_pages(pdf)
    assert len(pages) == 2  # the trend and the themes
    for number, heading in zip(pages, ("Volumes and trend", "Themes")):
        assert heading in _page_text(pdf, number), number
    for lang in ("fr", "nl"):  # the longer languages too: the first page is full, not a third empty
        other = pdfium.PdfDocument(io.BytesIO(demo_report("2025", lang).pdf))
        heads = {"fr": ("Volumes et évolution", "Thèmes"), "nl": ("Volume en verloop", "Thema's")}[lang]
        for number, heading in zip(_chart_pages(other), heads):
            assert heading in _page_text(other, number), (lang, number)
        assert _ink(other[0].render(scale=50 / 72).to_pil().crop((0, 400, 413, 560))) > 0.01, lang


def test_the_pdf_renders_to_readable_pages_with_the_reports_numbers(demo):
    pdf = pdfium.PdfDocument(io.BytesIO(demo.pdf))
    assert 4 <= len(pdf) <= 10
    assert pdf.get_metadata_dict()["Title"] == "The vigilance network: report 2025"
    text = ""
    for number in range(len(pdf)):
        page = pdf[number]
        width, height = page.get_size()
        assert abs(width - A4[0]) < 1 and abs(height - A4[1]) < 1
        image = page.render(scale=100 / 72).to_pil()  # 100 dpi: what a person reading a screen sees
        assert 0.01 < _ink(image) < 0.4, number
        page_text = page.get_textpage().get_text_range()
        assert f"{number + 1} / {len(pdf)}" in page_text  # numbered, with the footer
        text += page_text
    flat = " ".join(text.split())
    for section in SECTIONS:
        assert section in flat
    requests = [line for line in demo.doc.text().splitlines() if line.startswith("Requests | ")][1].split(" | ")
    assert " ".join(requests) in flat  # the row as the document has it: the same numbers in the PDF
    assert "DEMO: generated data" in flat
