"""``python -m kdb``: the same as the ``kdb`` console script."""

import sys

from kdb.cli import main

sys.exit(main())
