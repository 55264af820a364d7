import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import os

# the dump cache writes under the user's cache directory from a detached
# process: tests that want it (test_dump_cache.py) turn it on themselves
os.environ.setdefault("KDB_CACHE", "off")
