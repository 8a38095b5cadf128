"""Validation problems as people read them: the field, the rule, in Japanese or English."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

# Rule code -> (Japanese, English); {placeholders} come from pydantic's error context.
MESSAGES: dict[str, tuple[str, str]] = {
    "missing": ("必須項目です", "is required"),
    "extra_forbidden": ("この項目は使えません（契約にない項目）", "is not a field of this event"),
    "literal_error": ("次のいずれかにしてください: {expected}", "must be one of {expected}"),
    "enum": ("次のいずれかにしてください: {expected}", "must be one of {expected}"),
    "string_too_short": (
        "{min_length}文字以上にしてください",
        "must have at least {min_length} characters",
    ),
    "string_too_long": (
        "{max_length}文字以内にしてください",
        "must have at most {max_length} characters",
    ),
    "string_pattern_mismatch": (
        "形式が正しくありません（英数字で始まり、英数字・_・- の32文字以内）",
        "must start with a letter or digit and use only letters, digits, _ and - (at most 32)",
    ),
    "control_character": (
        "制御文字（見えない文字）は使えません。改行は備考・お知らせ本文だけに使えます",
        "must not contain control characters; line breaks only in notes and notice bodies",
    ),
    "username_pattern": (
        "英数字で始まり、英数字と . _ @ + - だけの64文字以内にしてください",
        "must start with a letter or digit and use only letters, digits, . _ @ + - (at most 64)",
    ),
    "string_type": ("文字列にしてください", "must be text"),
    "too_short": ("{min_length}件以上にしてください", "must have at least {min_length} items"),
    "too_long": ("{max_length}件以内にしてください", "must have at most {max_length} items"),
    "int_type": ("整数にしてください", "must be a whole number"),
    "int_parsing": ("整数にしてください", "must be a whole number"),
    "int_from_float": ("整数にしてください", "must be a whole number"),
    "float_type": ("数値にしてください", "must be a number"),
    "float_parsing": ("数値にしてください", "must be a number"),
    "greater_than_equal": ("{ge}以上にしてください", "must be at least {ge}"),
    "less_than_equal": ("{le}以下にしてください", "must be at most {le}"),
    "uuid_parsing": ("UUID 形式にしてください", "must be a UUID"),
    "uuid_type": ("UUID 形式にしてください", "must be a UUID"),
    "timezone_aware": (
        "時刻にはタイムゾーン（例: +09:00）が必要です",
        "must carry a UTC offset (e.g. +09:00)",
    ),
    "datetime_type": ("RFC 3339 形式の時刻にしてください", "must be an RFC 3339 time"),
    "datetime_parsing": ("RFC 3339 形式の時刻にしてください", "must be an RFC 3339 time"),
    "datetime_from_date_parsing": ("RFC 3339 形式の時刻にしてください", "must be an RFC 3339 time"),
    "union_tag_invalid": ("未知のイベント種別です: {tag}", "is an unknown event type: {tag}"),
    "union_tag_not_found": ("イベント種別（type）がありません", "is missing (the event type)"),
    "model_type": ("オブジェクトにしてください", "must be an object"),
    "model_attributes_type": ("オブジェクトにしてください", "must be an object"),
    "dict_type": ("オブジェクトにしてください", "must be an object"),
    "list_type": ("リストにしてください", "must be a list"),
    "bool_type": ("true か false にしてください", "must be true or false"),
    "duplicate_bed_type": ("同じ病床種別が2回以上あります", "lists the same bed type twice"),
    "reason_required": ("辞退の場合は理由が必要です", "is required when declining"),
    "oxygen_over_usable": (
        "酸素投与可能な病床数が即応病床数（usable）を超えています",
        "must not exceed usable (oxygen beds are among the usable beds)",
    ),
    "official_only": (
        "市役所または保健所の職員だけが送れます",
        "may be sent only by the city hall or a health centre",
    ),
    "no_counts": (
        "自宅療養者数・宿泊療養者数・入院等調整中数のいずれかが必要です",
        "needs at least one of at_home, in_accommodation, awaiting_admission",
    ),
    # The waiting list (v2): a case reference or a note must not point at a person.
    "case_ref_pattern": (
        "保健所の管理番号にしてください（英数字・_・- の2〜24文字で数字を含む。氏名は不可）",
        "must be the health centre's own code: 2-24 letters, digits, _ or -, with a digit "
        "(never a name)",
    ),
    "looks_like_name": (
        "氏名のように見えます（敬称・カタカナの姓名・ローマ字の姓名は書けません）",
        "looks like a personal name (honorifics, full names in kana or Latin letters)",
    ),
    "looks_like_date": (
        "日付（生年月日など）のように見えます。日付は書けません",
        "looks like a date (such as a date of birth); dates are not allowed",
    ),
    "looks_like_phone": ("電話番号のように見えます", "looks like a phone number"),
    "looks_like_address": (
        "住所のように見えます（番地・丁目・郵便番号などは書けません）",
        "looks like an address (block or street numbers, -chome, postal codes)",
    ),
    "one_cadence": (
        "every_hours（何時間ごと）か daily_by（毎日何時まで）のどちらか一方にしてください",
        "give either every_hours or daily_by, one of them",
    ),
    "time_parsing": (
        "時刻は HH:MM とタイムゾーン（例: 09:00+09:00）にしてください",
        "must be a time of day HH:MM with its offset (e.g. 09:00+09:00)",
    ),
    "from_facility_when_hospital": (
        "待機場所が入院中（後方支援の転院）のとき、そのときだけ転院元の施設を指定してください",
        "must name the hospital moved out of exactly when waiting_at is hospital (a step-down "
        "transfer), and only then",
    ),
    "invalid_json": ("JSON として読めません", "is not valid JSON"),
    "too_large": ("64 KiB を超えています", "is larger than 64 KiB"),
    "future_timestamp": (
        "受付時刻より10分以上未来の時刻です",
        "is more than 10 minutes after the time it was received",
    ),
}

# Model-level rules report on the field they concern.
FIELD_OF_RULE = {
    "duplicate_bed_type": "beds",
    "reason_required": "reason",
    "official_only": "actor.org",
    "from_facility_when_hospital": "from_facility",
    "union_tag_invalid": "type",
    "union_tag_not_found": "type",
}


@dataclass(frozen=True)
class Problem:
    field: str  # e.g. "beds[1].usable"; "" for the whole record
    rule: str  # a code from MESSAGES, or pydantic's error type
    context: tuple[tuple[str, Any], ...] = ()

    def message(self, lang: str = "ja") -> str:
        ja, en = MESSAGES.get(self.rule, (self.rule, self.rule))
        context = dict(self.context)
        if lang == "ja" and isinstance(context.get("expected"), str):
            # pydantic lists choices as "'a', 'b' or 'c'": no English inside a Japanese sentence.
            context["expected"] = context["expected"].replace(" or ", ", ")
        text = (ja if lang == "ja" else en).format_map(_Defaults(context))
        return f"{self.field}: {text}" if self.field else text


class _Defaults(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def field_path(loc: tuple[int | str, ...]) -> str:
    """`('beds', 1, 'usable')` -> `beds[1].usable`."""
    path = ""
    for part in loc:
        if part == "[key]":  # pydantic's marker for a bad dict key: the key itself is the field
            continue
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path


def problems_of(error: ValidationError, *, tagged: bool = True) -> list[Problem]:
    """Turn a pydantic error into problems; `tagged` drops the union tag pydantic puts first."""
    problems = []
    for item in error.errors(include_url=False):
        loc = tuple(item["loc"])[1:] if tagged and item["loc"] else tuple(item["loc"])
        rule = str(item["type"])
        field = field_path(loc) or FIELD_OF_RULE.get(rule, "")
        context = tuple((k, _plain(v)) for k, v in (item.get("ctx") or {}).items())
        problems.append(Problem(field, rule, context))
    return problems


def _plain(value: Any) -> Any:
    return value if isinstance(value, str | int | float) else str(value)


class RuleBroken(ValueError):
    """A change that breaks a rule of a store (accounts, tokens); names the field and the rule in
    ja and en from the subclass's MESSAGES table."""

    MESSAGES: dict[str, tuple[str, str]] = {}

    def __init__(self, field: str, rule: str, **context: Any) -> None:
        self.field, self.rule, self.context = field, rule, context
        super().__init__(self.message("en"))

    def message(self, lang: str = "ja", field: str | None = None) -> str:
        """The field (or what a screen calls it) and the rule broken, in the language."""
        ja, en = self.MESSAGES[self.rule]
        return f"{field or self.field}: {(ja if lang == 'ja' else en).format(**self.context)}"
