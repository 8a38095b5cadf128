"""Snapshot exports for officials: one module per format, all written from one Snapshot."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from consumers.exports import to_csv, to_fhir, to_have, to_json, to_parquet, to_xlsx
from consumers.exports.snapshot import Snapshot


@dataclass(frozen=True)
class Format:
    render: Callable[[Snapshot], bytes]
    mime: str
    suffix: str


FORMATS: dict[str, Format] = {
    "csv": Format(to_csv.render, to_csv.MIME, ".csv"),
    "xlsx": Format(to_xlsx.render, to_xlsx.MIME, ".xlsx"),
    "parquet": Format(to_parquet.render, to_parquet.MIME, ".parquet"),
    "json": Format(to_json.render, to_json.MIME, ".json"),
    "fhir": Format(to_fhir.render, to_fhir.MIME, ".fhir.json"),
    "have": Format(to_have.render, to_have.MIME, ".have.xml"),
}
