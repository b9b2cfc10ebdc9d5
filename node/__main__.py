"""``python -m node`` runs the ``musette`` command line."""

from node.cli import main

main()
