"""Running the bot: opening the store at start-up, the durable inbox and the sender, webhook mode,
health, logs, the lock, and the operator's tools (check, backup and restore, key rotation, demo data).

May import: everything of bot/ below it (foundations, network, conversation, steering, services); never handlers.
"""
