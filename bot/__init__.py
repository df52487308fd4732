"""Waakzaam: a confidential Telegram bot for a vigilance network."""
