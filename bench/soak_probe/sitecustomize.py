"""bench.soak's probe inside the dashboard process: what Python itself holds, every few seconds.

Put on the server's PYTHONPATH by `python -m bench.soak --probe` only. With BEDBOARD_SOAK_PROBE
naming a file, a daemon thread appends a JSON line each BEDBOARD_SOAK_PROBE_S seconds: the
blocks Python's allocator holds, the objects the GC tracks and the most numerous types. If those
stay flat while the RSS grows, the growth is the C allocator's, not objects kept alive.
"""

from __future__ import annotations

import gc
import json
import os
import sys
import threading
import time
from collections import Counter


def _probe(path: str, every_s: float) -> None:
    while True:
        time.sleep(every_s)
        tracked = gc.get_objects()
        kinds = Counter(type(o).__name__ for o in tracked)
        line = {"at": time.time(), "blocks": sys.getallocatedblocks(), "tracked": len(tracked),
                "threads": threading.active_count(), "top": kinds.most_common(12)}  # fmt: skip
        del tracked
        with open(path, "a") as out:
            out.write(json.dumps(line) + "\n")


if os.environ.get("BEDBOARD_SOAK_PROBE"):
    every_s = float(os.environ.get("BEDBOARD_SOAK_PROBE_S", "30"))
    threading.Thread(target=_probe, args=(os.environ["BEDBOARD_SOAK_PROBE"], every_s),
                     name="soak-probe", daemon=True).start()  # fmt: skip
