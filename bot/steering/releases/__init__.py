"""Figures of closed periods, counted once and released once (issue 21).

- cells.py    the base cells of a month, a quarter and a year; the figures a release may state
              about them; what a reader knows beside them (identities, sentinels, coordinators)
- service.py  which periods are due, counting them (as of one instant), what a reader knew before,
              and storing periods and releases in the digest's transaction
- decide.py   the releases of one digest, decided in order by the figures engine (a child process)
- view.py     a release as the pages read it

Every page (the digest, /digest, the reports, /report, /quality, the news line) reprints releases;
nothing counts a closed period again, so what was released stays released.
"""
