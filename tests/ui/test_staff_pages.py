"""Sign-in, roles and the staff pages in AppTest, over a replica in a temp dir (no Kafka: what
is sent waits in the outbox, as it would while the broker is down)."""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from dashboard_city import NOTE, city_events
from streamlit.testing.v1 import AppTest

from bedboard.settings import Settings
from consumers.rules import Accepted
from consumers.store import Batch, Store, connect
from dashboard import auth, runtime
from dashboard.accounts import UsersFile
from dashboard.data import NO_FEED_ENV
from producers import forms
from producers.identity import Identity
from producers.outbox import Outbox
from schemas.events import Event, parse_event
from schemas.events_v2 import parse_any
from schemas.topics import TOPIC_OF_TYPE

ROOT = Path(__file__).resolve().parents[2]
APP = str(ROOT / "dashboard" / "app.py")
PAGES = ROOT / "dashboard" / "pages"
STAFF = Identity("bedmgr.icho", "hospital_staff", ("HJ-0001",))
COORDINATOR = Identity("hc.sato", "coordinator")
OFFICIAL = Identity("city.ito", "official")
ADMIN = Identity("root", "admin")
PASSWORD = "correct horse battery staple"
MARKUP = "<script>alert(1)</script> **bold** [x](javascript:alert(1))"


@pytest.fixture
def now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


@pytest.fixture
def city(tmp_path: Path, now: datetime, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The small city, a placement request to HJ-0001 and the four kinds of accounts."""
    requested = forms.placement_request(
        COORDINATOR, "HJ-0001", "adult_icu", age_band="70-79", severity="severe",
        needs=["oxygen"], note=MARKUP, now=now - timedelta(minutes=2),
    )  # fmt: skip
    other = forms.placement_request(
        COORDINATOR, "HJ-0002", "hcu", age_band="50-59", severity="moderate",
        now=now - timedelta(minutes=1),
    )  # fmt: skip
    notice = parse_event(
        {"type": "notice.posted", "version": 1, "event_id": str(uuid.uuid4()),
         "occurred_at": now.isoformat(), "actor": {"org": "city_hall", "user": "city.ito"},
         "notice_id": str(uuid.uuid4()), "severity": "warning", "title": MARKUP, "body": MARKUP}
    )  # fmt: skip
    path = replica(tmp_path / "dashboard.duckdb", [*city_events(now), requested, other, notice])
    users = UsersFile(tmp_path / "users.json")
    users.add(STAFF.username, STAFF.role, PASSWORD, STAFF.facilities)
    for who in (COORDINATOR, OFFICIAL, ADMIN):
        users.add(who.username, who.role, None)  # single sign-on only: nothing to hash
    monkeypatch.setenv("BEDBOARD_DB", str(path))
    monkeypatch.setenv("BEDBOARD_DATA_DIR", str(tmp_path))
    # Nothing listens there: sends wait in the outbox, as when the broker is down.
    monkeypatch.setenv("BEDBOARD_BOOTSTRAP_SERVERS", "127.0.0.1:9")
    monkeypatch.setenv("BEDBOARD_TOPIC_PREFIX", f"t{uuid.uuid4().hex[:8]}.")
    monkeypatch.setenv(NO_FEED_ENV, "1")
    monkeypatch.delenv("BEDBOARD_LANG", raising=False)
    yield path


def replica(path: Path, events: list[Event]) -> Path:
    accepted: dict[str, list[Accepted]] = {}
    for offset, event in enumerate(events):
        topic = TOPIC_OF_TYPE[event.type]  # type: ignore[attr-defined]
        accepted.setdefault(topic, []).append(
            Accepted(event, event.occurred_at + timedelta(seconds=1), 0, offset)
        )
    con = connect(path)
    try:
        Store(con).write(Batch(accepted=accepted, read={k: len(v) for k, v in accepted.items()}))
    finally:
        con.close()
    return path


def signed_in(who: Identity | None, script: Path | str = APP, **state: object) -> AppTest:
    at = AppTest.from_file(str(script), default_timeout=60)
    if who is not None:
        expires = datetime.now(UTC) + timedelta(hours=1)
        at.session_state[auth.SESSION_KEY] = auth.Session(who, expires, "password")
    for key, value in state.items():
        at.session_state[key] = value
    return at.run()


def page(name: str, who: Identity | None, **state: object) -> AppTest:
    """A page opened directly, as a crafted URL would: only its own check stands in the way."""
    at = signed_in(who, PAGES / f"{name}.py", **state)
    assert not at.exception, [e.message for e in at.exception]
    return at


def queued(tmp_path: Path) -> list[Event]:
    outbox = Outbox(Settings(data_dir=tmp_path).as_principal("dashboard").outbox_path)
    try:
        return [parse_any(record.value) for record in outbox.peek(100)]  # of any version
    finally:
        outbox.close()


def texts(at: AppTest) -> list[str]:
    return [e.value for e in at.text]


def shown(markdown: str) -> str:
    """What a Markdown message reads as once its escapes are rendered."""
    return re.sub(r"\\(.)", r"\1", markdown)


@pytest.mark.parametrize(
    ("name", "who"),
    [("report", COORDINATOR), ("report", OFFICIAL), ("upload", COORDINATOR),
     ("upload", OFFICIAL), ("inbox", COORDINATOR), ("inbox", OFFICIAL),
     ("placements", STAFF), ("placements", OFFICIAL), ("notices", STAFF)],
)  # fmt: skip
def test_pages_refuse_the_wrong_roles(city: Path, name: str, who: Identity) -> None:
    at = page(name, who)

    assert [e.value for e in at.error] == [
        f"このページを開く権限がありません（あなたの役割: {auth.t('role.' + who.role)}）。"
    ]
    assert not at.button and not at.number_input and not at.text_area and not at.file_uploader


@pytest.mark.parametrize("name", ["report", "upload", "inbox", "placements", "notices"])
def test_pages_ask_someone_not_signed_in_to_sign_in(city: Path, name: str) -> None:
    at = page(name, None)

    assert [s.value for s in at.subheader] == ["Bedboard ログイン"]
    assert [i.label for i in at.text_input] == ["ユーザー名", "パスワード"]


@pytest.mark.parametrize(
    ("name", "who"),
    [("report", STAFF), ("report", ADMIN), ("upload", STAFF), ("inbox", STAFF),
     ("placements", COORDINATOR), ("notices", COORDINATOR), ("notices", OFFICIAL)],
)  # fmt: skip
def test_pages_open_for_their_roles(city: Path, name: str, who: Identity) -> None:
    at = page(name, who)
    assert not any("権限" in e.value for e in at.error)
    assert at.button or at.file_uploader


def test_sign_in_with_a_password_and_land_on_the_report_form(
    city: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.INFO, logger="bedboard.auth")  # whatever levels other tests left
    at = signed_in(None)
    at.text_input[0].input(STAFF.username)
    at.text_input[1].input("wrong password, twelve+")
    at.button[0].click().run()
    assert [e.value for e in at.error] == ["ユーザー名またはパスワードが違います。"]

    at.text_input[0].input(STAFF.username)
    at.text_input[1].input(PASSWORD)
    at.button[0].click().run()

    assert not at.exception
    assert at.session_state[auth.SESSION_KEY].identity == STAFF
    assert "病床報告" in [s.value for s in at.subheader]
    assert PASSWORD not in caplog.text and "wrong password" not in caplog.text
    assert f"signed in {STAFF.username}" in caplog.text


def test_failed_sign_ins_are_slowed_down(city: Path, caplog: pytest.LogCaptureFixture) -> None:
    name = f"guess.{uuid.uuid4().hex[:6]}"  # the throttle is per process: a name of its own
    at = signed_in(None)
    for attempt in range(4):
        at.text_input[0].input(name)
        at.text_input[1].input(f"guess number {attempt}")
        at.button[0].click().run()

    assert [e.value for e in at.error] == [
        "ログインの失敗が続いたため、あと1秒はログインできません。"
    ]
    assert "guess number" not in caplog.text
    assert name not in caplog.text  # an unknown name may be a password typed in the wrong box


def test_an_expired_session_asks_to_sign_in_again(city: Path) -> None:
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state[auth.SESSION_KEY] = auth.Session(
        STAFF, datetime.now(UTC) - timedelta(seconds=1), "password"
    )
    at.run()

    assert auth.SESSION_KEY not in at.session_state
    assert [i.value for i in at.info] == [
        "セッションの有効期限が切れました。もう一度ログインしてください。"
    ]


def test_a_removed_or_changed_account_loses_its_session(city: Path, tmp_path: Path) -> None:
    UsersFile(tmp_path / "users.json").remove(STAFF.username)
    at = page("report", STAFF)
    assert [s.value for s in at.subheader] == ["Bedboard ログイン"]

    promoted = Identity(STAFF.username, "hospital_staff", ("HJ-0001", "HJ-0002"))
    UsersFile(tmp_path / "users.json").add(STAFF.username, "hospital_staff", None, ("HJ-0002",))
    at = page("report", promoted)
    assert [s.value for s in at.subheader] == ["Bedboard ログイン"]


def test_report_form_starts_from_the_last_report_and_sends_two_changes(
    city: Path, tmp_path: Path
) -> None:
    at = page("report", STAFF)
    values = {n.key: n.value for n in at.number_input}
    assert values["report:HJ-0001:adult_icu:usable"] == 12
    assert values["report:HJ-0001:adult_icu:occupied"] == 12
    assert values["report:HJ-0001:medical_surgical:occupied"] == 207
    assert NOTE in texts(at)  # the last note, as plain text

    at.number_input(key="report:HJ-0001:adult_icu:occupied").set_value(10)
    at.number_input(key="report:HJ-0001:medical_surgical:occupied").set_value(200)
    at.button[0].click().run()

    assert [w.value for w in at.warning] == [
        "ブローカーに接続できないため、送信待ちとして保存しました（待ち 1 件）。"
        "接続が戻ると自動的に送信されます。"
    ]
    [sent] = queued(tmp_path)
    assert (sent.facility_id, sent.actor.user) == ("HJ-0001", STAFF.username)
    # Only what changed: a colleague's newer numbers for the other bed types stay as they are.
    assert {b.bed_type: (b.usable, b.occupied) for b in sent.beds} == {
        "adult_icu": (12, 10), "medical_surgical": (220, 200)}  # fmt: skip
    assert sent.accepting is None

    at.button[0].click().run()  # unchanged since: a confirmation of every number
    confirmed = queued(tmp_path)[1]
    assert {b.bed_type: (b.usable, b.occupied) for b in confirmed.beds} == {
        "adult_icu": (12, 10), "medical_surgical": (220, 200),
        "negative_flow_isolation": (8, 5)}  # fmt: skip
    assert confirmed.accepting == "limited"


def test_a_newer_report_never_overwrites_what_is_being_typed(
    city: Path, tmp_path: Path, now: datetime
) -> None:
    at = page("report", STAFF)
    at.number_input(key="report:HJ-0001:adult_icu:occupied").set_value(11)
    newer = forms.capacity_report(
        STAFF, "HJ-0001", [forms.BedInput("adult_icu", 30, 1)], now=now, accepting="closed"
    )
    live = runtime.get().replica  # the app's own replica, as its roll-up would write it
    Store(live.cursor()).write(Batch(accepted={"capacity": [Accepted(newer, now)]},
                                     read={"capacity": 1}))  # fmt: skip
    at.button[0].click().run()

    # The typed number stands; the one nobody touched follows the newer report.
    [sent] = queued(tmp_path)
    assert [(b.bed_type, b.usable, b.occupied) for b in sent.beds] == [("adult_icu", 30, 11)]
    assert sent.accepting is None  # "closed" from the newer report is not sent back as "limited"


def test_report_form_names_the_field_and_asks_to_confirm_a_surge(
    city: Path, tmp_path: Path
) -> None:
    at = page("report", STAFF)
    at.text_area[0].input("患者 1234567 の件")
    at.button[0].click().run()
    assert "メモ: 6桁以上の数字は書けません" in shown(at.error[0].value)

    at.text_area[0].input("")
    at.number_input(key="report:HJ-0001:adult_icu:occupied").set_value(15)
    at.button[0].click().run()
    assert [w.value for w in at.warning] == [
        "成人ICU で使用中が即応病床を超えています。増床対応として、このまま送信しますか？"
    ]
    assert queued(tmp_path) == []

    at.button(key="report_surge_confirm").click().run()
    [sent] = queued(tmp_path)
    assert {b.bed_type: b.occupied for b in sent.beds}["adult_icu"] == 15


def test_staff_cannot_report_for_another_facility_even_by_crafting_the_session(
    city: Path, tmp_path: Path
) -> None:
    two = Identity("bedmgr.two", "hospital_staff", ("HJ-0001", "HJ-0003"))
    UsersFile(tmp_path / "users.json").add(two.username, two.role, None, two.facilities)
    at = signed_in(
        two,
        PAGES / "report.py",
        **{"report_facility:ja": "HJ-0002"},  # a value the select box never offered
        **{"report:HJ-0002:hcu:usable": 99, "report:HJ-0002:hcu:occupied": 1},
    )
    assert not at.exception
    facility = at.selectbox(key="report_facility:ja")
    assert facility.options == ["いちょう総合病院 (HJ-0001)", "はなみずき病院 (HJ-0003)"]
    assert facility.value == "HJ-0001"
    assert {n.key.split(":")[1] for n in at.number_input} == {"HJ-0001"}

    at.button[0].click().run()
    assert [event.facility_id for event in queued(tmp_path)] == ["HJ-0001"]


def test_a_csv_with_errors_is_refused_whole_with_every_error_listed(
    city: Path, tmp_path: Path
) -> None:
    csv = (
        "facility_id,bed_type,usable,occupied\n"
        "HJ-0001,adult_icu,12,9\n"
        "HJ-0002,hcu,8,5\n"
        "HJ-0001,icu,x,1\n"
    )
    at = page("upload", STAFF)
    at.file_uploader[0].upload("beds.csv", csv.encode(), "text/csv").run()

    assert [e.value for e in at.error] == [
        "3件の問題があるため、何も送信していません。すべて直してから、もう一度アップロードしてください。"
    ]
    rows = at.dataframe[-1].value.values.tolist()  # the problems (the first lists bed types)
    assert [row[:2] for row in rows] == [["3", "facility_id"], ["4", "bed_type"], ["4", "usable"]]
    assert rows[0][2] == "この施設（HJ-0002）の担当ではないため送信できません"
    assert rows[1][2].startswith("次のいずれかにしてください: 'adult_icu'")
    assert rows[2][2] == "整数にしてください"
    assert not at.button and queued(tmp_path) == []


def test_a_clean_csv_is_sent_once_as_one_report_per_facility(city: Path, tmp_path: Path) -> None:
    at = page("upload", STAFF)
    at.file_uploader[0].upload(
        "beds.csv", b"facility_id,bed_type,usable,occupied\nHJ-0001,hcu,6,2\n", "text/csv"
    ).run()
    assert [s.value for s in at.success] == ["1施設・1行を確認しました。問題はありません。"]

    at.button[0].click().run()
    at.run()  # a rerun must not send it again
    [sent] = queued(tmp_path)
    assert (sent.facility_id, sent.actor.user) == ("HJ-0001", STAFF.username)
    assert sent.beds[0].usable == 6


def test_inbox_shows_only_the_staffs_facility_and_the_note_as_plain_text(city: Path) -> None:
    at = page("inbox", STAFF)

    assert MARKUP in texts(at)
    assert "70-79・重症 · 酸素投与" in texts(at)
    assert not any("50-59" in text for text in texts(at))  # HJ-0002's request is not theirs
    assert not at.get("html")


def test_staff_decline_needs_a_reason_and_the_answer_names_the_placements_facility(
    city: Path, tmp_path: Path
) -> None:
    at = page("inbox", STAFF)
    decline = next(b for b in at.button if b.key.startswith("decline:"))
    decline.click().run()
    assert "理由: 辞退の場合は理由が必要です" in shown(at.error[0].value)
    assert queued(tmp_path) == []

    at.text_input[0].input("ICU満床")
    next(b for b in at.button if b.key.startswith("decline:")).click().run()
    [sent] = queued(tmp_path)
    assert (sent.facility_id, sent.decision, sent.reason) == ("HJ-0001", "declined", "ICU満床")


def test_placements_list_history_and_close(city: Path, tmp_path: Path) -> None:
    at = page("placements", COORDINATOR)
    assert MARKUP in texts(at)
    closing = [b.key for b in at.button if b.key.startswith("close:")]
    assert len(closing) == 2 * 3  # two open placements, three outcomes each

    at.button(key=next(k for k in closing if k.endswith(":cancelled"))).click().run()
    [sent] = queued(tmp_path)
    assert (sent.type, sent.outcome, sent.actor.org) == ("placement.closed", "cancelled",
                                                         "health_centre")  # fmt: skip


def test_notices_show_markup_as_plain_text_and_post_with_the_sessions_actor(
    city: Path, tmp_path: Path
) -> None:
    at = page("notices", OFFICIAL)
    assert MARKUP in texts(at)  # the body, exactly as written
    heading = next(w.value for w in at.warning if "script" in w.value)
    assert "\\<script\\>" in heading and "\\*\\*bold\\*\\*" in heading  # escaped, not rendered
    assert not at.get("html")

    at.text_input[0].input("")
    at.button(key="notice_post").click().run()
    assert any("件名: 1文字以上にしてください" in shown(e.value) for e in at.error)

    at.text_input[0].input("断水のお知らせ")
    at.text_area[0].input("南大沢地区 14時から")
    at.button(key="notice_post").click().run()
    [sent] = queued(tmp_path)
    assert (sent.title, sent.actor.org, sent.actor.user) == ("断水のお知らせ", "city_hall",
                                                             OFFICIAL.username)  # fmt: skip
    assert sent.expires_at is not None and sent.expires_at > datetime.now(UTC)


def test_an_official_declares_the_phase_on_the_notices_page_as_the_signed_in_person(
    city: Path, tmp_path: Path
) -> None:
    at = page("notices", OFFICIAL)
    assert any(
        "フェーズは宣言されていません" in c.value or "フェーズ" in c.value for c in at.caption
    )
    at.text_input(key="phase_value:0").input("第4段階").run()
    at.button(key="phase_post").click().run()
    assert any("現在のフェーズ:" in shown(e.value) for e in at.error)
    assert queued(tmp_path) == []  # refused: nothing sent

    at.text_input(key="phase_value:0").input("4").run()
    at.text_input(key="phase_note:0").input("都の移行に合わせて").run()
    at.button(key="phase_post").click().run()
    [sent] = queued(tmp_path)
    assert (sent.type, sent.version, sent.phase, sent.note) == ("phase.declared", 2, "4",
                                                                "都の移行に合わせて")  # fmt: skip
    assert (sent.actor.org, sent.actor.user) == ("city_hall", OFFICIAL.username)
    assert TOPIC_OF_TYPE[sent.type] == "city"


def test_only_city_hall_and_the_health_centre_see_the_phase_form(city: Path) -> None:
    assert page("notices", COORDINATOR).get("expander")  # the notice form at least
    keys = {w.key for w in page("notices", COORDINATOR).text_input}
    assert "phase_value:0" in keys
    keys = {w.key for w in page("notices", ADMIN).text_input}
    assert "phase_value:0" not in keys  # "system" may not speak for the city
