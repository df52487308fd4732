"""Persistence: the connection, migrations and one repository per aggregate."""
