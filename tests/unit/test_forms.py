"""Events from forms and CSV files: the actor is the session's, staff speak only for their own
facilities, every problem names its field (and row) and rule."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from producers import forms, upload
from producers.forms import BedInput, Refused
from producers.identity import Identity
from schemas.events import CapacityReported, parse_event, to_json

NOW = datetime(2026, 11, 26, 8, 55, tzinfo=UTC)
STAFF = Identity("bedmgr.tanaka", "hospital_staff", ("HJ-0001",))
COORDINATOR = Identity("hc.sato", "coordinator")
OFFICIAL = Identity("city.ito", "official")
ADMIN = Identity("root", "admin")
BEDS = [BedInput("adult_icu", 12, 12), BedInput("hcu", 8, 5)]


def rules(refused: pytest.ExceptionInfo[Refused]) -> list[tuple[str, str]]:
    return [(p.field, p.rule) for p in refused.value.problems]


def test_a_report_carries_the_session_as_its_actor() -> None:
    event = forms.capacity_report(STAFF, "HJ-0001", BEDS, now=NOW, accepting="limited", note=" x ")

    assert event.actor.model_dump() == {"org": "hospital", "user": "bedmgr.tanaka"}
    assert event.occurred_at == NOW and event.note == "x" and event.accepting == "limited"
    assert [(b.bed_type, b.usable, b.occupied) for b in event.beds] == [
        ("adult_icu", 12, 12), ("hcu", 8, 5)]  # fmt: skip
    assert parse_event(to_json(event)) == event  # what is sent passes the contract


@pytest.mark.parametrize(
    "facility_id", ["HJ-0002", "hj-0001", "HJ-0001 ", " HJ-0001", "HJ-00011", "", "HJ-0001\n"]
)
def test_staff_cannot_report_for_another_facility(facility_id: str) -> None:
    with pytest.raises(Refused) as refused:
        forms.capacity_report(STAFF, facility_id, BEDS, now=NOW)

    assert rules(refused) == [("facility_id", "not_your_facility")]
    assert facility_id in forms.message(refused.value.problems[0], "en")


@given(st.text(max_size=40).filter(lambda text: text != "HJ-0001"))
def test_no_facility_id_but_their_own_gets_through(facility_id: str) -> None:
    with pytest.raises(Refused):
        forms.capacity_report(STAFF, facility_id, BEDS, now=NOW)
    with pytest.raises(Refused):
        forms.placement_response(STAFF, "00000000-0000-4000-8000-000000000000", facility_id,
                                 "accepted", now=NOW)  # fmt: skip


@pytest.mark.parametrize("who", [COORDINATOR, OFFICIAL])
def test_only_staff_and_admins_report_beds(who: Identity) -> None:
    with pytest.raises(Refused) as refused:
        forms.capacity_report(who, "HJ-0001", BEDS, now=NOW)
    assert rules(refused) == [("", "role_not_allowed")]


def test_an_admin_may_report_for_any_facility_as_themselves() -> None:
    event = forms.capacity_report(ADMIN, "HJ-0007", BEDS, now=NOW)
    assert (event.facility_id, event.actor.org, event.actor.user) == ("HJ-0007", "system", "root")


def test_every_problem_of_the_form_is_named_at_once() -> None:
    beds = [
        BedInput("adult_icu", 12, -1),
        BedInput("hcu", None, 3),
        BedInput("emergency", None, None),  # blank: not reported, not a problem
        BedInput("pediatrics", 5001, 2),
    ]
    with pytest.raises(Refused) as refused:
        forms.capacity_report(STAFF, "HJ-0001", beds, now=NOW, note="患者ID 0012345 の件")

    assert sorted(rules(refused)) == [
        ("adult_icu.occupied", "greater_than_equal"),
        ("hcu.usable", "missing"),
        ("note", "looks_like_identifier"),
        ("pediatrics.usable", "less_than_equal"),
    ]
    messages = [forms.message(p, "ja") for p in refused.value.problems]
    assert "adult_icu.occupied: 0以上にしてください" in messages
    assert "hcu.usable: 必須項目です" in messages


def test_a_blank_form_and_a_long_note_are_refused() -> None:
    with pytest.raises(Refused) as refused:
        forms.capacity_report(STAFF, "HJ-0001", [BedInput("hcu", None, None)], now=NOW)
    assert rules(refused) == [("beds", "no_beds")]

    with pytest.raises(Refused) as refused:
        forms.capacity_report(STAFF, "HJ-0001", BEDS, now=NOW, note="x" * 501)
    assert rules(refused) == [("note", "string_too_long")]


def test_a_surge_is_reported_as_it_is_and_flagged() -> None:
    event = forms.capacity_report(STAFF, "HJ-0001", [BedInput("adult_icu", 10, 14)], now=NOW)
    assert event.beds[0].occupied == 14
    assert forms.surges(event) == ["adult_icu"]


def test_markup_in_a_note_is_kept_verbatim() -> None:
    note = "<script>alert(1)</script> **bold** [x](javascript:1)"
    assert forms.capacity_report(STAFF, "HJ-0001", BEDS, now=NOW, note=note).note == note


PLACEMENT = "6f1c1a4e-3b0d-4a57-9a53-2f3f3b7f8e10"


def test_placements_request_answer_close() -> None:
    requested = forms.placement_request(
        COORDINATOR, "HJ-0001", "adult_icu", age_band="70-79", severity="severe",
        needs=["oxygen"], note="酸素 2L", now=NOW,
    )  # fmt: skip
    assert (requested.actor.org, requested.actor.user) == ("health_centre", "hc.sato")
    assert requested.patient.needs == ["oxygen"]

    answer = forms.placement_response(
        STAFF, str(requested.placement_id), "HJ-0001", "declined", reason="満床", now=NOW
    )
    assert (answer.decision, answer.reason, answer.actor.user) == ("declined", "満床",
                                                                   "bedmgr.tanaka")  # fmt: skip
    closed = forms.placement_close(COORDINATOR, PLACEMENT, "expired", now=NOW)
    assert closed.outcome == "expired"


def test_a_request_too_large_for_a_record_is_refused_before_it_is_sent() -> None:
    note = "酸素投与中。" * 4000  # 72,000 bytes of UTF-8: valid by the schema, too large a record
    with pytest.raises(Refused) as refused:
        forms.placement_request(COORDINATOR, "HJ-0001", "hcu", age_band="0-9", severity="mild",
                                note=note, now=NOW)  # fmt: skip
    assert rules(refused) == [("", "too_large")]


def test_placement_rules() -> None:
    with pytest.raises(Refused) as refused:
        forms.placement_response(STAFF, PLACEMENT, "HJ-0001", "declined", reason="  ", now=NOW)
    assert rules(refused) == [("reason", "reason_required")]

    with pytest.raises(Refused) as refused:
        forms.placement_response(STAFF, PLACEMENT, "HJ-0002", "accepted", now=NOW)
    assert rules(refused) == [("facility_id", "not_your_facility")]

    for who, call in [
        (STAFF, lambda: forms.placement_request(STAFF, "HJ-0001", "hcu", age_band="0-9",
                                                severity="mild", now=NOW)),
        (COORDINATOR, lambda: forms.placement_response(COORDINATOR, PLACEMENT, "HJ-0001",
                                                       "accepted", now=NOW)),
        (STAFF, lambda: forms.placement_close(STAFF, PLACEMENT, "admitted", now=NOW)),
        (STAFF, lambda: forms.notice_post(STAFF, severity="info", title="x", now=NOW)),
    ]:  # fmt: skip
        with pytest.raises(Refused) as refused:
            call()
        assert rules(refused) == [("", "role_not_allowed")], who

    with pytest.raises(Refused) as refused:
        forms.placement_request(COORDINATOR, "HJ-0001", "hcu", age_band="75", severity="grave",
                                needs=["name"], note="090 12345678", now=NOW)  # fmt: skip
    assert sorted(rules(refused)) == [
        ("note", "looks_like_identifier"), ("patient.age_band", "literal_error"),
        ("patient.needs[0]", "literal_error"), ("patient.severity", "literal_error")]  # fmt: skip


def test_notices() -> None:
    posted = forms.notice_post(
        OFFICIAL, severity="critical", title=" 停電 ", body="<b>本文</b>",
        expires_at=NOW + timedelta(hours=3), now=NOW,
    )  # fmt: skip
    assert (posted.title, posted.body, posted.actor.org) == ("停電", "<b>本文</b>", "city_hall")
    withdrawn = forms.notice_withdraw(COORDINATOR, str(posted.notice_id), now=NOW)
    assert withdrawn.notice_id == posted.notice_id

    with pytest.raises(Refused) as refused:
        forms.notice_post(OFFICIAL, severity="loud", title="", body="x" * 2001,
                          expires_at=NOW - timedelta(minutes=1), now=NOW)  # fmt: skip
    assert sorted(rules(refused)) == [
        ("body", "string_too_long"), ("expires_at", "expires_in_past"),
        ("severity", "literal_error"), ("title", "string_too_short")]  # fmt: skip


# --- CSV upload ---------------------------------------------------------------------------

HEADER = "facility_id,bed_type,usable,occupied,accepting,ed_status,note,occurred_at\n"


def read(text: str | bytes, who: Identity = STAFF):  # noqa: ANN201
    data = text.encode() if isinstance(text, str) else text
    return upload.read_capacity_csv(data, who, now=NOW)


def test_the_template_reads_back_as_the_reports_it_was_filled_with() -> None:
    template = upload.csv_template(
        [("HJ-0001", "adult_icu", 12, 9), ("HJ-0001", "hcu", 8, 5)], accepting="open"
    )
    assert template.startswith("\ufeff".encode())  # Excel in Japan needs the BOM

    events, problems = read(template)
    assert problems == []
    [event] = events
    assert isinstance(event, CapacityReported)
    assert (event.facility_id, event.accepting, event.actor.user) == ("HJ-0001", "open",
                                                                      "bedmgr.tanaka")  # fmt: skip
    assert [(b.bed_type, b.usable, b.occupied) for b in event.beds] == [
        ("adult_icu", 12, 9), ("hcu", 8, 5)]  # fmt: skip


def test_every_row_error_is_listed_at_once_and_nothing_is_accepted() -> None:
    text = HEADER + "\n".join([
        "HJ-0001,adult_icu,12,9,open,,,",              # row 2: fine
        "HJ-0001,hcu,8,many,,,,",                        # row 3: not a number
        "HJ-0002,hcu,8,5,,,,",                           # row 4: not their facility
        "HJ-0001,adult_icu,3,1,,,,",                     # row 5: same bed type twice
        "HJ-0001,icu,-1,2,closed,,,2026-11-26T08:00:00",  # row 6: four problems
        ",,,,,,,",                                       # row 7: blank, skipped
        "HJ-0001,burn,1,1,,,,,extra",                    # row 8: one cell too many
    ])  # fmt: skip
    events, problems = read(text)

    assert events == []
    assert [(p.row, p.column, p.rule) for p in problems] == [
        (3, "occupied", "int_type"),
        (4, "facility_id", "not_your_facility"),
        (5, "bed_type", "duplicate_row"),
        (6, "bed_type", "literal_error"),
        (6, "usable", "greater_than_equal"),
        (6, "accepting", "differs_in_facility"),
        (6, "occurred_at", "timezone_aware"),
        (8, "", "too_many_cells"),
    ]
    assert problems[2].message("ja") == "5行目, bed_type: 同じ施設・病床種別が2行目にもあります"
    assert problems[1].message("en") == (
        "row 4, facility_id: you are not bound to facility HJ-0002, so you may not send for it"
    )


def test_the_file_cannot_name_an_actor_or_other_columns() -> None:
    events, problems = read("facility_id,bed_type,usable,occupied,actor_user\nHJ-0001,hcu,1,1,x\n")
    assert events == []
    assert [(p.row, p.rule) for p in problems] == [(1, "unknown_columns")]
    assert "actor_user" in problems[0].message("en")

    events, problems = read("facility_id,usable\n")
    assert [(p.row, p.rule) for p in problems] == [(1, "missing_columns")]
    assert "bed_type, occupied" in problems[0].message("ja")


def test_an_admin_uploads_for_several_facilities_one_report_each() -> None:
    text = HEADER + "HJ-0001,hcu,8,5,,,,\nHJ-0002,hcu,4,4,,,,\nHJ-0001,burn,2,0,,,夜間,\n"
    events, problems = read(text, ADMIN)

    assert problems == []
    assert [(e.facility_id, len(e.beds), e.note) for e in events] == [
        ("HJ-0001", 2, "夜間"), ("HJ-0002", 1, None)]  # fmt: skip


def test_time_and_encoding_of_a_csv() -> None:
    later = (NOW + timedelta(minutes=11)).isoformat()
    earlier = (NOW - timedelta(hours=1)).isoformat()
    events, problems = read(HEADER + f"HJ-0001,hcu,8,5,,,,{later}\n")
    assert [(p.row, p.column, p.rule) for p in problems] == [(2, "occurred_at", "future_timestamp")]

    events, problems = read(HEADER + f"HJ-0001,hcu,8,5,,,,{earlier}\n")
    assert problems == [] and events[0].occurred_at == NOW - timedelta(hours=1)

    shift_jis = (HEADER + "HJ-0001,hcu,8,5,,,満床に近い,\n").encode("cp932")
    events, problems = read(shift_jis)
    assert problems == [] and events[0].note == "満床に近い"

    assert [p.rule for p in read(b"\xff\xfe\x00garbage\x81")[1]] == ["bad_encoding"]
    assert [p.rule for p in read(b"")[1]] == ["empty_file"]
    assert [p.rule for p in read(HEADER)[1]] == ["no_rows"]
    assert [p.rule for p in read(b"x" * (upload.MAX_CSV_BYTES + 1))[1]] == ["file_too_large"]


def test_a_typed_time_is_bounded_to_a_sensible_window() -> None:
    def rules_at(moment: datetime, **limits: timedelta) -> list[tuple[int, str, str]]:
        data = (HEADER + f"HJ-0001,hcu,8,5,,,,{moment.isoformat()}\n").encode()
        problems = upload.read_capacity_csv(data, STAFF, now=NOW, **limits)[1]
        return [(p.row, p.column, p.rule) for p in problems]

    assert rules_at(NOW - timedelta(days=6, hours=23)) == []
    assert rules_at(NOW - timedelta(days=7, minutes=1)) == [(2, "occurred_at", "too_old")]
    assert rules_at(NOW - timedelta(days=1), max_age=timedelta(hours=12)) == [
        (2, "occurred_at", "too_old")]  # fmt: skip
    assert rules_at(NOW.replace(year=2016)) == [(2, "occurred_at", "too_old")]  # a typo'd year
    assert rules_at(NOW + timedelta(minutes=9)) == []
    data = (HEADER + f"HJ-0001,hcu,8,5,,,,{(NOW - timedelta(days=30)).isoformat()}\n").encode()
    [problem] = upload.read_capacity_csv(data, STAFF, now=NOW)[1]
    assert problem.message("ja") == (
        "2行目, occurred_at: 7日以上前の時刻です"
        "（入力ミスでないか確認してください。7日以内にしてください）"
    )
    assert problem.message("en") == (
        "row 2, occurred_at: is more than 7 days ago (a typing mistake?); at most 7 days back"
    )


def test_a_cell_over_the_csv_field_limit_is_a_row_problem_not_a_crash() -> None:
    quoted = '"' + "満床\n" * 50_000 + '"'  # 150,000 characters in one quoted cell, over lines
    text = HEADER + "HJ-0001,hcu,8,5,,,,\n" + f"HJ-0001,burn,1,1,,,{quoted},\n"

    events, problems = read(text)

    assert events == []
    assert [(p.row, p.column, p.rule) for p in problems] == [(3, "note", "cell_too_large")]
    assert problems[0].message("ja") == "3行目, note: セルが大きすぎます（131072文字まで）"
    assert problems[0].message("en") == (
        "row 3, note: the cell is too large (at most 131072 characters)"
    )


def test_coordinators_cannot_upload_reports() -> None:
    with pytest.raises(Refused):
        read(HEADER + "HJ-0001,hcu,8,5,,,,\n", COORDINATOR)


def test_a_prefilled_form_sends_what_changed_or_confirms_everything() -> None:
    before = {"adult_icu": (12, 9), "hcu": (8, 5), "burn": (None, None)}
    changed = forms.lines_to_send(before, before | {"hcu": (8, 6)})
    assert changed == [BedInput("hcu", 8, 6)]

    added = forms.lines_to_send(before, before | {"burn": (2, 0)})
    assert added == [BedInput("burn", 2, 0)]

    everything = forms.lines_to_send(before, before)
    assert [line.bed_type for line in everything] == ["adult_icu", "hcu", "burn"]
