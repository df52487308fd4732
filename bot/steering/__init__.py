"""What leaves the network for the steering group and the works council: how small numbers are hidden
(figures/), closed periods counted once and released once (releases/), the weekly digest and the
network's review (digest/), actions and news (actions/), reports.

May import: bot.foundations, bot.network and bot.conversation.
"""
