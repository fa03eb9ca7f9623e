"""Contracts of the assistance service (student aid): commands, events, queries."""
