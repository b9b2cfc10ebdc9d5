"""Musette ledger layer (built by a later issue)."""
