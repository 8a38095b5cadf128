"""Refusing what looks like a person in a case reference or a note: a name, a date, a phone, an
address. Pure functions; the v2 case events call them, and so can any form before sending.

These are heuristics: they catch the usual ways a name or an address slips into a field (a
honorific, two capitalised words, a katakana full name, 番地 or -chome, a date of birth written as
digits), not every one. A case reference is held tighter than free text: a short code with a digit.
"""

from __future__ import annotations

import re
import unicodedata

# A case reference: the health centre's own code for the case, e.g. HC-0412 or W2611-07.
CASE_REF = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{1,23}$")

# Checked in this order; the first rule that matches is the one reported.
_DATE = re.compile(
    r"\d{4}\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,2}"  # 1948-05-03, 1948/5/3, 1948年5月3日
    r"|\d{1,2}\s*[-/.]\s*\d{1,2}\s*[-/.]\s*\d{4}"  # 3/5/1948
    r"|(?:明治|大正|昭和|平成|令和)\s*\d{1,2}\s*年|\b[MTSHR]\d{1,2}[./]\d{1,2}"  # 昭和23年, S23.5
    r"|(?<!\d)(?:19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])(?!\d)"  # 19480503
    r"|\d{1,2}\s*月\s*\d{1,2}\s*日\s*生|生年月日|誕生日|date of birth|\bDOB\b|\bborn\b",
    re.IGNORECASE,
)
_PHONE = re.compile(
    r"(?<!\d)0\d{1,4}\s*[-(（]\s*\d{1,4}\s*[-)）]\s*\d{3,4}(?!\d)"  # 03-1234-5678, 042(123)4567
    r"|\+\s*81[\s\d-]{8,}"  # +81 ...
    r"|(?<!\d)0[5789]0\d{8}(?!\d)|(?<!\d)0\d{9}(?!\d)"  # 09012345678, 0426231234
    r"|電話|携帯|\bphone\b|\btel\b",
    re.IGNORECASE,
)
_ADDRESS = re.compile(
    r"番地|丁目|\d+\s*番\s*\d+\s*号|\d+\s*-\s*chome|\bchome\b"
    r"|(?<!\d)\d{1,4}-\d{1,4}-\d{1,4}(?!\d)"  # 1-2-3: a Japanese block-lot-house number
    r"|\d+\s+\w+\s+(?:street|st\.?|avenue|ave\.?|road|rd\.?|lane|ln\.?)\b"
    r"|〒|\d{3}-\d{4}",  # a postal code
    re.IGNORECASE,
)
_NAME = re.compile(
    # a honorific after a name written in kanji or kana: 山田様, たろうさん, ヤマダ氏
    r"[\u3040-\u30ff\u4e00-\u9fff]"
    r"(?:(?<![同模仕多一])様(?![子々式態相])|さま|さん|氏|殿|君|くん|ちゃん)"
    # a katakana full name: ヤマダ・タロウ, ヤマダ タロウ
    r"|[\u30a1-\u30fa\u30fc]{2,}[\s・･][\u30a1-\u30fa\u30fc]{2,}"
    # two capitalised words, as a romanised name is written: Taro Yamada
    r"|\b[A-Z][a-z]+\s+[A-Z][a-z]+\b"
    r"|\b(?:Mr|Mrs|Ms|Miss|Dr)\.?\s+[A-Z]",
)
_DASHES = re.compile(r"(?<=\d)[\u2010-\u2015\u2212\u30fc](?=\d)")
RULES = (
    ("looks_like_date", _DATE),
    ("looks_like_phone", _PHONE),
    ("looks_like_address", _ADDRESS),
    ("looks_like_name", _NAME),
)


def personal_in_text(text: str) -> str | None:
    """The rule a free text breaks (a name, a date, a phone number, an address), or None."""
    plain = unicodedata.normalize("NFKC", text)  # full-width digits and letters as ASCII
    plain = _DASHES.sub("-", plain)  # 042−623−1234 typed with a minus sign or a long vowel mark
    for rule, pattern in RULES:
        if pattern.search(plain):
            return rule
    return None


def personal_in_case_ref(ref: str) -> str | None:
    """The rule a case reference breaks, or None: a short code with a digit, nothing personal."""
    if not CASE_REF.match(ref) or not any(c.isdigit() for c in ref):
        return "case_ref_pattern"
    # A code may hold dashes (HC-0412), so only the rules a code can still break are asked.
    if re.search(r"(?<!\d)(?:19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])(?!\d)", ref):
        return "looks_like_date"
    if re.search(r"(?<!\d)0\d{9,10}(?!\d)|(?<!\d)0\d{1,4}-\d{1,4}-\d{4}(?!\d)", ref):
        return "looks_like_phone"
    return None
