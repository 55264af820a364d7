"""Every thread blocked in a module, across a directory of dumps (docs/api.md).

    python blocked_in_module.py zfs dumps/
"""
import sys
from pathlib import Path

import kdb

module, directory = sys.argv[1], Path(sys.argv[2])
for path in sorted(directory.glob("*.json")):
    with kdb.open(str(path)) as d:
        blocked = [t for t in d.threads
                   if t.state == "sleep" and any(f.module == module for f in t.stack)]
        for t in blocked:
            where = next(f for f in t.stack if f.module == module)
            print(f"{path.stem:10} {t.addr:x} {t.description:24} {t.sobj_type or '-':6} {where}")
