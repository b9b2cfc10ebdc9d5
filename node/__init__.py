"""Musette's top layer: the ``musette`` command line (and, later, the node service)."""
