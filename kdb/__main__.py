"""``python -m kdb``: the same as the ``kdb`` console script."""

import sys

from kdb.apps.cli import main

sys.exit(main())
