"""`bedboard snapshot` and `bedboard report` refuse bad options before touching anything."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from pathlib import Path

import pytest

from bedboard import cli, console
from bedboard.commands import export_options
from bedboard.settings import Settings


@pytest.fixture(autouse=True)
def nowhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A broker that is not there: a command that got past its checks would fail, not hang.
    monkeypatch.setenv("BEDBOARD_BOOTSTRAP_SERVERS", "localhost:1")
    monkeypatch.setenv("BEDBOARD_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("BEDBOARD_LANG", raising=False)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = cli.main(list(argv))
    return code, capsys.readouterr().err.strip()


BAD_DATE = "日付は YYYY-MM-DD 形式にしてください（例: 2026-11-26）"
BAD_CUTOFF = "--cutoff: 時刻は HH:MM 形式にしてください（例: 09:00）"
NO_OFFSET = "時刻にはタイムゾーン（例: +09:00）が必要です"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--date", "2026-11-31"], f"--date: {BAD_DATE}"),
        (["--date", "20261126"], f"--date: {BAD_DATE}"),
        (["--date", "2026-11-26", "--cutoff", "9時"], BAD_CUTOFF),
        (["--date", "2026-11-26", "--cutoff", "25:00"], BAD_CUTOFF),
        (["--as-of", "2026-11-26T09:00"], f"--as-of: {NO_OFFSET}"),
        (["--as-of", "yesterday"], "--as-of: RFC 3339 形式の時刻にしてください"),
        (
            ["--as-of", "2026-11-26T09:00+09:00", "--cutoff", "09:00"],
            "--cutoff: --date と一緒に指定してください",
        ),
        (["--date", "2026-11-26", "--known-at", "2026-11-26T09:10"], f"--known-at: {NO_OFFSET}"),
    ],
)
def test_snapshot_names_the_option_and_its_rule_in_japanese(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, argv: list[str], message: str
) -> None:
    out = tmp_path / "out.csv"
    code, said = run(capsys, "snapshot", *argv, "--format", "csv", "-o", str(out))
    assert (code, said) == (console.USAGE, message)
    assert not out.exists()


def test_snapshot_speaks_english_when_asked(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BEDBOARD_LANG", "en")
    code, said = run(
        capsys, "snapshot", "--as-of", "2026-11-26T09:00", "--format", "json", "-o", "-"
    )
    assert (code, said) == (console.USAGE, "--as-of: must carry a UTC offset (e.g. +09:00)")


def test_known_at_in_the_future_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    later = (datetime.now().astimezone() + timedelta(hours=1)).isoformat()
    code, said = run(
        capsys,
        "snapshot",
        "--date",
        "2026-11-26",
        "--known-at",
        later,
        "--format",
        "csv",
        "-o",
        "-",
    )
    assert code == console.USAGE
    assert (
        said
        == "--known-at: 未来の時刻は指定できません（同じスナップショットを再現できなくなるため）"
    )


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--from", "2026-11-26", "--to", "2026-11-01"], "--to: --from より前の日付です"),
        (
            ["--from", "2025-01-01", "--to", "2026-11-01"],
            "--to: 期間は366日以内にしてください（指定は670日）",
        ),
        (["--from", "2026/11/01", "--to", "2026-11-26"], f"--from: {BAD_DATE}"),
    ],
)
def test_report_checks_its_range(
    capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    code, said = run(capsys, "report", *argv, "--format", "xlsx", "-o", "-")
    assert (code, said) == (console.USAGE, message)


def test_a_date_uses_the_configured_cutoff_in_the_configured_zone() -> None:
    settings = Settings(snapshot_cutoff=time(8, 30), timezone="Asia/Tokyo")
    args = cli.parser().parse_args(
        ["snapshot", "--date", "2026-11-26", "--format", "csv", "-o", "-"]
    )
    as_of, known_at = export_options.snapshot_times(args, settings)
    assert as_of.isoformat() == "2026-11-26T08:30:00+09:00"
    assert known_at.microsecond == 0  # whole seconds, so that it can be given back as is


def test_a_return_takes_its_layouts_cutoff_and_refuses_a_cutoff_without_a_day() -> None:
    settings = Settings(snapshot_cutoff=time(9), timezone="Asia/Tokyo", lang="en")
    report = ["report", "--layout", "weekly-survey", "--format", "csv", "-o", "-"]
    args = cli.parser().parse_args([*report, "--date", "2026-11-25"])
    assert export_options.as_of_of(args, settings, time(0)).isoformat() == (
        "2026-11-25T00:00:00+09:00"
    )
    given = cli.parser().parse_args([*report, "--date", "2026-11-25", "--cutoff", "12:00"])
    assert export_options.as_of_of(given, settings, time(0)).hour == 12
    alone = cli.parser().parse_args(
        [*report, "--as-of", "2026-11-25T00:00+09:00", "--cutoff", "1:00"]
    )
    with pytest.raises(export_options.BadOption, match="--cutoff"):
        export_options.as_of_of(alone, settings, time(0))


def test_a_broker_that_is_not_running_ends_the_command_with_a_message(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, said = run(
        capsys, "snapshot", "--date", "2026-11-26", "--format", "csv", "-o", str(tmp_path / "x.csv")
    )
    assert code == console.FAILED
    assert said.startswith("ブローカーに接続できないため、最新の報告を取り込めませんでした")
    assert not (tmp_path / "x.csv").exists()


def test_an_output_folder_that_does_not_exist_is_named_before_any_work(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    missing = tmp_path / "no" / "such"
    code, said = run(
        capsys, "snapshot", "--date", "2026-11-26", "--format", "csv", "-o", str(missing / "x.csv")
    )
    assert (code, said) == (console.USAGE, f"-o: 出力先のフォルダ {missing} がありません")


def test_a_return_names_an_unknown_layout_and_the_known_ones(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    out = tmp_path / "survey.csv"
    argv = ["report", "--layout", "weekly", "--date", "2026-11-25", "--format", "csv"]
    code, said = run(capsys, *argv, "-o", str(out))
    assert code == console.USAGE and "--layout: weekly という様式はありません" in said
    assert "weekly-survey" in said and not out.exists()


def test_a_return_needs_a_day_or_a_time_and_a_range_report_its_range(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    out = str(tmp_path / "x.csv")
    code, said = run(capsys, "report", "--layout", "weekly-survey", "--format", "csv", "-o", out)
    assert (code, said) == (
        console.USAGE,
        "--layout: --date（様式の締め時刻）か --as-of を指定してください",
    )
    code, said = run(capsys, "report", "--from", "2026-11-20", "--format", "csv", "-o", out)
    assert code == console.USAGE and said.startswith("--from と --to を指定してください")


def test_opendata_refuses_a_time_without_an_offset(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    argv = ["opendata", "--as-of", "2026-11-25T00:00", "--out", str(tmp_path / "open")]
    code, said = run(capsys, *argv)
    assert (code, said) == (console.USAGE, f"--as-of: {NO_OFFSET}")
    assert not (tmp_path / "open").exists()


def test_a_bad_city_code_or_severe_bed_type_is_named(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("BEDBOARD_CITY_CODE", "132013")
    code, said = run(capsys, "opendata", "--date", "2026-11-25", "--out", str(tmp_path))
    assert code == console.USAGE and "BEDBOARD_CITY_CODE" in said and "132012" in said
    monkeypatch.delenv("BEDBOARD_CITY_CODE")
    monkeypatch.setenv("BEDBOARD_SEVERE_BED_TYPES", "adult_icu,icu")
    code, said = run(capsys, "opendata", "--date", "2026-11-25", "--out", str(tmp_path))
    assert code == console.USAGE
    assert said.startswith("BEDBOARD_SEVERE_BED_TYPES: icu は契約の病床種別コードではありません")


def test_import_return_refuses_a_bad_file_whole_and_sends_nothing(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    bad = tmp_path / "survey.csv"
    bad.write_text("施設ID\nHJ-0001\n", encoding="utf-8")
    code, said = run(capsys, "import-return", str(bad), "--layout", "weekly-survey")
    assert code == console.REJECTED
    assert "様式 weekly-survey の列がありません" in said and "何も送信していません" in said
    missing = str(tmp_path / "none.csv")
    code, said = run(capsys, "import-return", missing, "--layout", "weekly-survey")
    assert (code, said) == (console.USAGE, f"ファイルが見つかりません: {missing}")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--since", "2026-11-27T09:00"], f"--since: {NO_OFFSET}"),
        (
            ["--since", "2026-11-30T09:00+09:00", "--known-at", "2026-11-27T09:00+09:00"],
            "--since: 2026-11-30T09:00:00+09:00 は --known-at（2026-11-27T09:00:00+09:00）"
            "より前の時刻にしてください",
        ),
    ],
)
def test_summary_names_the_option_and_its_rule(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, argv: list[str], message: str
) -> None:
    code, said = run(capsys, "summary", *argv, "-o", str(tmp_path / "s.pdf"))
    assert (code, said) == (console.USAGE, message)
    assert not (tmp_path / "s.pdf").exists()
