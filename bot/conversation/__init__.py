"""A colleague's request and the conversation with a listener: asking, offers and claims (requests),
talking through the bot (talking), the 24-hour promise, casework, team signals, retention and erasure.

May import: bot.foundations and bot.network.
"""
