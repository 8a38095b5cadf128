"""The Streamlit command line that serves the dashboard (for `bedboard`, tests and tools)."""

from __future__ import annotations

import sys
from pathlib import Path

APP = Path(__file__).resolve().parent / "app.py"


def dashboard_argv(port: int) -> list[str]:
    """The Streamlit command line of the dashboard on a port."""
    return [
        sys.executable, "-m", "streamlit", "run", str(APP),
        "--server.port", str(port),
        "--server.headless", "true",
        "--server.fileWatcherType", "none",
        "--browser.gatherUsageStats", "false",
        # Where people open it; also spares a failed look-up of an external address.
        "--browser.serverAddress", "localhost",
    ]  # fmt: skip
