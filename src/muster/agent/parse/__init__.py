"""Parsers: from the text, JSON and readings a Snapshot holds to typed facts.

Each parser takes what was read (never a path, never the live host), so each
is tested against recordings from real machines.
"""
