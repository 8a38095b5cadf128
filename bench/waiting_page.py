"""The waiting list page at a prefecture's scale, rendered by Streamlit's AppTest, timed.

    python -m bench.waiting_page --runs N --out FILE

Builds its own replica in a temp dir: 8,000 facilities in 60 districts reporting 1-4 bed types,
2,000 open cases (a quarter of them with a request, some accepted and holding a bed). Each run
clears the page's caches first, so that every query runs again: server time, no browser.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.core import ROOT

APP = ROOT / "dashboard" / "app.py"
USER = "bench.coordinator"
FACILITIES, CASES, DISTRICTS = 8_000, 2_000, 60
TYPES = ("medical_surgical", "adult_icu", "hcu", "pediatrics", "negative_flow_isolation")


def replica(path: Path, now: datetime) -> None:
    """A prefecture's registry, reports and waiting list, written as the roll-up writes them."""
    from consumers.rules import Accepted
    from consumers.store import Batch, Store, connect
    from schemas.events import parse_event

    rng = random.Random(12)
    ago = (now - timedelta(hours=1)).isoformat()

    def common(kind: str, org: str, version: int = 1, at: str = ago) -> dict[str, Any]:
        return {"type": kind, "version": version, "event_id": str(uuid.uuid4()),
                "occurred_at": at, "actor": {"org": org, "user": "bench"}}  # fmt: skip

    by_topic: dict[str, list[Any]] = {"facilities": [], "capacity": [], "placements": []}
    for n in range(FACILITIES):
        fid = f"P-{n:05d}"
        by_topic["facilities"].append(common("facility.registered", "city_hall") | {
            "facility_id": fid, "name": {"ja": f"病院{n}"}, "kind": "hospital",
            "district": f"地区{n % DISTRICTS}",
            "location": {"lat": 35.0 + rng.random(), "lon": 139.0 + rng.random()},
        })  # fmt: skip
        lines = rng.sample(TYPES, rng.randint(1, 4))
        beds = [{"bed_type": b, "usable": (u := rng.randint(4, 60)),
                 "occupied": rng.randint(0, u)} for b in lines]  # fmt: skip
        by_topic["capacity"].append(common("capacity.reported", "hospital") | {
            "facility_id": fid, "beds": beds, "accepting": "open"})  # fmt: skip
    for n in range(CASES):
        cid = str(uuid.uuid4())
        since = (now - timedelta(minutes=rng.randint(5, 3000))).isoformat()
        patient = {"age_band": "70-79", "severity": rng.choice(("mild", "moderate", "severe")),
                   "needs": rng.choice(([], ["oxygen"], ["isolation"]))}  # fmt: skip
        by_topic["placements"].append(common("case.registered", "health_centre", 2) | {
            "case_id": cid, "case_ref": f"HC-{n:05d}", "patient": patient,
            "district": f"地区{n % DISTRICTS}", "waiting_at": "home", "waiting_since": since,
        })  # fmt: skip
        if n % 4 == 0:
            pid = str(uuid.uuid4())
            fid = f"P-{rng.randrange(FACILITIES):05d}"
            by_topic["placements"].append(common("placement.requested", "health_centre", 2) | {
                "placement_id": pid, "facility_id": fid, "bed_type": "medical_surgical",
                "patient": patient, "case_id": cid,
            })  # fmt: skip
            if n % 8 == 0:
                by_topic["placements"].append(
                    common("placement.responded", "hospital")
                    | {"placement_id": pid, "facility_id": fid, "decision": "accepted"}
                )
    con = connect(path)
    store = Store(con)
    accepted = {
        topic: [Accepted(parse_event(body), now - timedelta(minutes=30), 0, offset)
                for offset, body in enumerate(bodies)]
        for topic, bodies in by_topic.items()
    }  # fmt: skip
    store.write(Batch(accepted=accepted, read={k: len(v) for k, v in accepted.items()}))
    con.close()


def render(runs: int) -> dict[str, Any]:
    """Open the waiting list as a coordinator, and time each fresh render of it."""
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    from bedboard.settings import Settings
    from dashboard import auth
    from dashboard.accounts import UsersFile, users_path
    from producers.identity import Identity

    UsersFile(users_path(Settings())).add(USER, "coordinator", None)
    at = AppTest.from_file(str(APP), default_timeout=600)
    at.session_state[auth.SESSION_KEY] = auth.Session(
        Identity(USER, "coordinator"), datetime.now(UTC) + timedelta(hours=1), "sso"
    )
    at.run()  # the app as a browser opens it: the header, the language, then the page
    at.switch_page("pages/waiting.py")
    times = []
    for _ in range(runs + 1):  # the first also opens the replica and imports: not counted
        st.cache_data.clear()
        start = time.perf_counter()
        at.run()
        times.append(time.perf_counter() - start)
        if at.exception:
            raise RuntimeError("the page raised: " + "; ".join(e.message for e in at.exception))
    cases = [m.value for m in at.markdown if "`HC-" in m.value]
    offered = [b for b in at.button if (b.key or "").startswith("bed:")]
    return {"first_s": times[0], "render_s": times[1:], "cases_shown": len(cases),
            "beds_offered": len(offered)}  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.waiting_page")
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--out", type=Path)
    p.add_argument("--db", type=Path, help="keep the replica here (built if missing)")
    args = p.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bedboard-waiting-") as workdir:
        db = args.db or Path(workdir) / "replica.duckdb"
        start = time.perf_counter()
        if not db.exists():
            replica(db, datetime.now(UTC))
        built = time.perf_counter() - start
        os.environ |= {"BEDBOARD_DB": str(db), "BEDBOARD_DATA_DIR": workdir,
                       "BEDBOARD_DASHBOARD_NO_FEED": "1", "BEDBOARD_LANG": "ja"}  # fmt: skip
        result = render(args.runs) | {"replica_s": built, "facilities": FACILITIES,
                                      "open_cases": CASES}  # fmt: skip
    text = json.dumps(result, indent=1)
    if args.out:
        args.out.write_text(text)
    sys.stdout.write(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
