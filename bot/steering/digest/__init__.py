"""The steering group learns what recurs, and no figure points at a colleague.

- schedule.py  slots in the organisation's time zone, clock changes included
- service.py   the weekly sweep: the periods due are counted and released with the digest (through
               bot/steering/releases), made once, recorded with its messages, late when it must be
- model.py     what a digest published (the releases it shows and what it says beside them)
- render.py    the digest and the review in words, in the reader's language
- chart.py     the one chart (matplotlib, Agg), drawn from releases only
- signals.py   which department x theme came back across different colleagues, for the review
- review.py    the network's review of candidate signals, suggestions and their approval

The generated year for `waakzaam digest --preview --demo` is bot/running/demo_digest.py.
"""
