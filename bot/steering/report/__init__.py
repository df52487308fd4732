"""The quarterly table and the annual report for the works council (004:1255-1256, 2714-2716;
001:55, 81): the digests' released figures re-read over a period (figures.py), with the
steering group's actions, "you said, we did", feedback and the network's make-up (service.py),
in words (document.py), as self-contained HTML (html.py) and PDF (pdf.py), with charts
(charts.py). The demo's generated year is bot/running/demo_report.py."""
