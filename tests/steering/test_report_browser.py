"""The report on a generated year, opened in a real browser (headless Chromium) and its PDF
rendered to pages a person can read.

Chromium comes from the system (Debian's `chromium`; .ci/run installs it). On CI a missing
Chromium fails the test; on a developer's machine without it the test is skipped, saying why.
"""
from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
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
    dom = _browse(tmp_path, "--dump-dom", page.as_uri()).stdout
    assert "<h1>The vigilance network: report 2025</h1>" in dom
    assert dom.count("<section>") == len(SECTIONS) and dom.count("<svg") == 2  # the trend and the themes, inline
    for title in SECTIONS:
        assert f"<h2>{title}</h2>" in dom
    for width, height in ((1000, 2600), (390, 2600)):  # a desk, and a phone
        shot = tmp_path / f"shot-{width}.png"
        _browse(tmp_path, f"--window-size={width},{height}", "--hide-scrollbars", f"--screenshot={shot}",
                page.as_uri())
        image = Image.open(shot)
        assert image.size == (width, height) and 0.02 < _ink(image) < 0.5


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
