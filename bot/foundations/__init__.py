"""What every part of the bot stands on: settings, the clock and calendar, sealing (crypto), storage
(the only SQL), languages, the domain's nouns and vocabularies, button codes, the charter's data.

May import: the standard library and third-party packages; nothing else of bot/, never telegram.
"""
