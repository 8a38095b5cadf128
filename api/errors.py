"""Errors as JSON naming the field and the rule, in Japanese or English by Accept-Language."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from producers import csvfile, forms, upload
from schemas.problems import Problem

# The HTTP door's own rules; the contract's come from schemas/problems.py, the forms' from forms.
MESSAGES: dict[str, tuple[str, str]] = {
    "unauthorized": (
        "有効なトークンが必要です（Authorization: Bearer <トークン>）",
        "a valid token is required (Authorization: Bearer <token>)",
    ),
    "read_only_token": (
        "閲覧用トークンでは送信できません",
        "a read-only token may not send",
    ),
    "body_too_large": (
        "{limit} バイトを超えています",
        "is larger than {limit} bytes",
    ),
    "unsupported_media_type": (
        "次のいずれかにしてください: {expected}",
        "must be one of {expected}",
    ),
    "rate_limited": (
        "要求が多すぎます（1秒に{rate}件まで）。{retry_after}秒後に再送してください",
        "too many requests (at most {rate} a second); retry after {retry_after} s",
    ),
    "unknown_facility": (
        "この施設の報告も登録もありません: {facility_id}",
        "no report and no registration for facility {facility_id}",
    ),
    "bad_date": ("YYYY-MM-DD 形式にしてください", "must be a date as YYYY-MM-DD"),
    "bad_cutoff": ("HH:MM 形式にしてください", "must be a time as HH:MM"),
    "not_a_report": (
        "MeasureReport か、MeasureReport を含む Bundle にしてください",
        "must be a MeasureReport or a Bundle of them",
    ),
    "bad_xml": ("XML として読めません", "is not well-formed XML"),
    "forbidden_xml": (
        "DTD・実体宣言を含む XML は受け付けません",
        "must not contain a DTD or entity declarations",
    ),
    "not_have": (
        "EDXL-HAVE の HospitalStatus 文書にしてください",
        "must be an EDXL-HAVE HospitalStatus document",
    ),
    "unknown_have_bed_type": (
        "EDXL-HAVE の病床種別ではありません: {value}",
        "is not an EDXL-HAVE bed type: {value}",
    ),
    "facility_unknown_code": (
        "施設ID（{system}）がありません",
        "must carry the facility id (identifier system {system})",
    ),
    "no_bed_counts": (
        "病床数（{codes}）がありません",
        "holds no bed counts ({codes})",
    ),
    "available_over_baseline": (
        "空床数が病床数を超えています",
        "the available count exceeds the baseline count",
    ),
}


def message(problem: Problem, lang: str) -> str:
    """The problem's text without its field, in the language asked for."""
    # The door's own rules, then the upload's and the forms', then the CSV's and the schema's.
    tables = (MESSAGES, upload.MESSAGES, forms.MESSAGES)
    return csvfile.message(problem.rule, problem.context, lang, *tables)


def language(accept_language: str | None, default: str) -> str:
    """'ja' or 'en', whichever the header ranks higher; the configured language otherwise."""
    best: tuple[float, str] | None = None
    for part in (accept_language or "").split(","):
        tag, _, params = part.strip().partition(";")
        base = tag.strip().lower().split("-")[0]
        if base not in ("ja", "en"):
            continue
        quality = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if quality > 0 and (best is None or quality > best[0]):
            best = (quality, base)
    return best[1] if best else default


class ApiError(Exception):
    """A refusal: the HTTP status and every problem found."""

    def __init__(
        self, status: int, problems: Sequence[Problem], headers: dict[str, str] | None = None
    ) -> None:
        self.status = status
        self.problems = list(problems)
        self.headers = headers or {}
        super().__init__(f"{status}: {[p.rule for p in self.problems]}")


def body(problems: Sequence[Problem], lang: str, **extra: Any) -> dict[str, Any]:
    """The JSON of a refusal: one entry per problem, with its field, rule and message."""
    return {
        "errors": [
            {
                "field": p.field,
                "rule": p.rule,
                "message": message(p, lang),
                **({"row": dict(p.context)["row"]} if "row" in dict(p.context) else {}),
            }
            for p in problems
        ],
        **extra,
    }
