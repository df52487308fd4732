"""Running the bot: opening the store at start-up, the durable inbox, what an update says (replies)
and the sender (the one way out), what each failure means (faults), webhook mode, health and
liveness (the systemd watchdog), logs, the lock, and the operator's tools (check, backup, the
all-or-nothing restore, key rotation, demo data).

May import: everything of bot/ below it (foundations, network, conversation, steering, services); never handlers.
"""
