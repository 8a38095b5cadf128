"""The weekly survey and the day's open-data files for a country, against the as-of state."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from bedboard.settings import Settings
from bench.core import Row
from bench.env import Context
from bench.national import _median_ms, daily_cutoff, national_replica
from consumers import queries
from consumers.exports import opendata, returns
from consumers.schema import connect

TARGET = "≤ 2000"


def measure(ctx: Context) -> list[Row]:
    built = national_replica(ctx)
    end = built["end"]
    scale = f"{built['lines']:,} lines, {built['facilities']:,} facilities"
    # Fewer runs than the queries': each is seconds' worth of Python at most.
    runs = max(3, ctx.sizes.query_runs // 3)
    settings = Settings(open_data_per_facility=True)  # the most a city can publish
    layout = returns.load("weekly-survey")
    con = connect(built["path"], read_only=True)
    try:
        cur = con.cursor()
        as_of = daily_cutoff(end)
        sizes: dict[str, Any] = {}

        def survey() -> None:
            made = returns.build(
                cur,
                layout,
                as_of=as_of,
                known_at=end,
                **returns.of_city(settings),
            )
            sizes["survey_rows"] = len(made.rows)
            returns.render_csv(made)
            returns.render_xlsx(made)

        def open_files() -> None:
            made = opendata.files(cur, settings, as_of=as_of, known_at=end)
            sizes["open_bytes"] = sum(len(f.data) for f in made)

        found = {
            "state": _median_ms(lambda: queries.state(cur, as_of, end, timedelta(hours=6)), runs),
            "survey": _median_ms(survey, runs),
            "open": _median_ms(open_files, runs),
        }
    finally:
        con.close()
    state = found["state"][0]
    return [
        Row("returns", "as-of state (queries.state)", state, "ms", baseline="baseline",
            runs=found["state"][1], note=f"the rows every return is built from; {scale}"),
        Row("returns", "weekly survey, CSV and XLSX", found["survey"][0], "ms", TARGET,
            "as-of state", found["survey"][1],
            f"{sizes['survey_rows']} rows (districts + total); {found['survey'][0] / state:.1f}× "
            "the state"),
        Row("returns", "open-data files (by district and by facility, CSV and JSON)",
            found["open"][0], "ms", TARGET, "as-of state", found["open"][1],
            f"{sizes['open_bytes'] / 1e6:.1f} MB in 4 files; {found['open'][0] / state:.1f}× "
            "the state"),
    ]  # fmt: skip
