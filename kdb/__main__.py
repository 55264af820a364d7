"""``python -m kdb``: the same as the ``kdb`` console script."""

from kdb.apps.cli import run

run()
