"""The network of listeners: joining and leaving, profiles and the guard rail, weekly hours, on-call
weeks, who gets an offer (routing), meetings, coverage and make-up, and what coordinators see.

May import: bot.foundations.
"""
