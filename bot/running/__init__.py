"""Running the bot: opening the store at start-up, the durable inbox and the sender, webhook mode,
health and liveness (the systemd watchdog), logs, the lock, and the operator's tools (check, backup,
the all-or-nothing restore, key rotation, demo data).

May import: everything of bot/ below it (foundations, network, conversation, steering, services); never handlers.
"""
