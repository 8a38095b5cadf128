"""Which way imports point (the contracts in pyproject.toml), checked by `make test` as well."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def test_imports_point_one_way() -> None:
    # In its own process: import-linter's command configures logging with dictConfig, which
    # disables every logger that already exists, and the dashboard's sign-in log with them.
    watched = logging.getLogger("bedboard.auth")
    env = os.environ | {
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])
    }

    done = subprocess.run(
        [str(LINT_IMPORTS), "--config", str(ROOT / "pyproject.toml"), "--no-cache"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )

    assert done.returncode == 0, f"an import points the wrong way:\n{done.stdout}{done.stderr}"
    assert "broken" in done.stdout and not watched.disabled


def test_no_two_test_files_share_a_name() -> None:
    # The test folders are not packages: pytest refuses the second file of a name at
    # collection, and the whole run stops before any test.
    names: dict[str, list[str]] = {}
    for path in (ROOT / "tests").rglob("test_*.py"):
        names.setdefault(path.name, []).append(str(path.relative_to(ROOT)))
    assert not {name: where for name, where in names.items() if len(where) > 1}
