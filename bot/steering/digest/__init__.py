"""The steering group learns what recurs, and no figure points at a colleague.

- signals.py   counts from the database (GROUP BY only, through storage/figures.py)
- digest.py    those counts as one release of bot/steering/figures, audited with the week before
- model.py     what a digest published, as the renderers read it
- render.py    the digest and the review in the reader's language
- chart.py     the one chart (matplotlib, Agg), drawn from the release only
- schedule.py  slots and windows in the organisation's time zone, clock changes included
- service.py   the weekly sweep: made once, recorded with its messages, late when it must be
- review.py    the network's review of candidate signals, suggestions and their approval

The generated year for `waakzaam digest --preview --demo` is bot/running/demo_digest.py.
"""
