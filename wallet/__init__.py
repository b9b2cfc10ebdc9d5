"""Musette wallet layer (built by a later issue)."""
