"""The network of listeners: joining and leaving, profiles and the guard rail, weekly hours, on-call
weeks, who gets an offer (routing), meetings, coverage and make-up, what coordinators see, and
decisions that take two people (two_person).

May import: bot.foundations.
"""
