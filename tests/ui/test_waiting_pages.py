"""The waiting list and the case page in AppTest, over a replica in a temp dir (no Kafka: what is
sent waits in the outbox)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from dashboard_city import city_events
from test_staff_pages import COORDINATOR, PASSWORD, STAFF, page, queued, replica

from dashboard import auth
from dashboard.accounts import UsersFile
from dashboard.data import NO_FEED_ENV
from producers import case_forms
from producers.demo_cases import case_events


@pytest.fixture
def waiting_city(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    """The small city and the demo's waiting list; yields each case's id by its code."""
    yield from city_with_cases(tmp_path, monkeypatch, step_down=False)


@pytest.fixture
def step_down_city(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    """As waiting_city, and HC-0600: a step-down transfer out of HJ-0001 (いちょう総合病院)."""
    yield from city_with_cases(tmp_path, monkeypatch, step_down=True)


def city_with_cases(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *, step_down: bool
) -> Iterator[dict[str, str]]:
    now = datetime.now(UTC).replace(microsecond=0)
    cases = case_events(now)
    if step_down:
        cases.append(case_forms.case_register(
            COORDINATOR, case_ref="HC-0600", age_band="80-89", severity="moderate", needs=[],
            district="八王子駅周辺", waiting_at="hospital", waiting_since=now,
            from_facility="HJ-0001", now=now,
        ))  # fmt: skip
    path = replica(tmp_path / "dashboard.duckdb", [*city_events(now), *cases])
    users = UsersFile(tmp_path / "users.json")
    users.add(COORDINATOR.username, COORDINATOR.role, None)
    users.add(STAFF.username, STAFF.role, PASSWORD, STAFF.facilities)
    monkeypatch.setenv("BEDBOARD_DB", str(path))
    monkeypatch.setenv("BEDBOARD_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("BEDBOARD_BOOTSTRAP_SERVERS", "127.0.0.1:9")  # sends wait in the outbox
    monkeypatch.setenv("BEDBOARD_TOPIC_PREFIX", f"t{uuid.uuid4().hex[:8]}.")
    monkeypatch.setenv(NO_FEED_ENV, "1")
    monkeypatch.delenv("BEDBOARD_LANG", raising=False)
    yield {e.case_ref: str(e.case_id) for e in cases if e.type == "case.registered"}  # type: ignore[attr-defined]


def refs_in_order(at) -> list[str]:  # noqa: ANN001
    found = []
    for markdown in at.markdown:
        for ref in ("HC-0412", "HC-0415", "HC-0418", "HC-0421", "HC-0423"):
            if f"`{ref}`" in markdown.value:
                found.append(ref)
    return found


def test_the_waiting_list_puts_the_most_severe_and_longest_waiting_first(
    waiting_city: dict[str, str],
) -> None:
    at = page("waiting", COORDINATOR)
    # Severe first, then moderate (the longest wait first), then mild.
    assert refs_in_order(at) == ["HC-0421", "HC-0412", "HC-0415", "HC-0418", "HC-0423"]
    captions = " ".join(c.value for c in at.caption)
    assert "前の依頼は お断り。次の候補から選べます。" in captions  # HC-0418 was declined
    offered = {b.key.split(":")[2] for b in at.button if b.key and b.key.startswith("bed:")}
    assert offered, "each waiting case offers its best free beds"
    # HJ-0004 declined HC-0418: it is not offered to that case again.
    declined = waiting_city["HC-0418"]
    again = [b.key for b in at.button if b.key and b.key.startswith(f"bed:{declined}:HJ-0004")]
    assert again == []


def test_a_case_is_added_only_under_a_code_and_its_problems_are_named(
    waiting_city: dict[str, str], tmp_path: Path
) -> None:
    at = page("waiting", COORDINATOR)
    ref = [i for i in at.text_input if i.label == "管理番号"][0]
    ref.input("Taro Yamada")
    at.button(key="FormSubmitter:add_case-待機者に登録").click().run()
    errors = " ".join(e.value for e in at.error)
    assert "管理番号" in errors and "保健所の管理番号にしてください" in errors
    assert queued(tmp_path) == []

    ref = [i for i in at.text_input if i.label == "管理番号"][0]
    ref.input("HC-0500")
    at.button(key="FormSubmitter:add_case-待機者に登録").click().run()
    assert not at.error
    (sent,) = queued(tmp_path)
    assert sent.type == "case.registered" and sent.case_ref == "HC-0500"  # type: ignore[attr-defined]


def test_the_case_page_sends_transport_and_admission_for_the_held_bed(
    waiting_city: dict[str, str], tmp_path: Path
) -> None:
    at = page("case", COORDINATOR, case_id=waiting_city["HC-0412"])
    assert "HC-0412" in at.markdown[0].value
    status = " ".join(m.value for m in at.markdown)
    assert "仮押さえ中" in status and "搬送手配済" in status
    transit = [b for b in at.button if b.key and b.key.startswith("in_transit:")]
    transit[0].click().run()
    admitted = [b for b in at.button if b.key and b.key.startswith("admitted:")]
    admitted[0].click().run()
    sent = queued(tmp_path)
    assert [e.type for e in sent] == ["placement.transport", "placement.closed"]
    assert sent[0].step == "in_transit" and sent[1].outcome == "admitted"  # type: ignore[attr-defined]


def test_the_waiting_pages_are_a_coordinators(waiting_city: dict[str, str]) -> None:
    for name in ("waiting", "case"):
        at = page(name, STAFF)
        assert [e.value for e in at.error] == [
            f"このページを開く権限がありません（あなたの役割: {auth.t('role.hospital_staff')}）。"
        ]


def test_a_step_down_transfer_is_added_from_the_hospital_it_moves_out_of(
    waiting_city: dict[str, str], tmp_path: Path
) -> None:
    at = page("waiting", COORDINATOR)
    [i for i in at.text_input if i.label == "管理番号"][0].input("HC-0601")
    where = [s for s in at.selectbox if s.label == "待機場所"][0]
    where.set_value("hospital")
    at.button(key="FormSubmitter:add_case-待機者に登録").click().run()
    errors = " ".join(e.value for e in at.error)
    assert "- 転院元（後方支援）\\: 待機場所が入院中（後方支援の転院）のとき" in errors
    assert queued(tmp_path) == []

    leaving = [s for s in at.selectbox if s.label == "転院元（後方支援）"][0]
    # Facilities that reported step-down come first, with their counts.
    assert leaving.options[:2] == ["—（転院ではない）", "いちょう総合病院 · 転院可 4 · 退院可 2"]
    [i for i in at.text_input if i.label == "管理番号"][0].input("HC-0601")
    [s for s in at.selectbox if s.label == "待機場所"][0].set_value("hospital")
    leaving.set_value("HJ-0002")
    at.button(key="FormSubmitter:add_case-待機者に登録").click().run()
    assert not at.error
    (sent,) = queued(tmp_path)
    assert (sent.waiting_at, sent.from_facility) == ("hospital", "HJ-0002")  # type: ignore[attr-defined]


def test_a_step_down_case_is_never_offered_its_own_hospital(
    step_down_city: dict[str, str],
) -> None:
    cid = step_down_city["HC-0600"]
    at = page("waiting", COORDINATOR)
    captions = " ".join(c.value for c in at.caption)
    assert "転院（後方支援）: いちょう総合病院" in captions
    offered = [b.key.split(":")[2] for b in at.button if b.key and b.key.startswith(f"bed:{cid}:")]
    assert offered and "HJ-0001" not in offered

    at = page("case", COORDINATOR, case_id=cid)
    assert "転院（後方支援）: いちょう総合病院" in " ".join(m.value for m in at.markdown)
