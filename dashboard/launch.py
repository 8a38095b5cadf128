"""The Streamlit command line that serves the dashboard (for `bedboard`, tests and tools)."""

from __future__ import annotations

import sys
from pathlib import Path

from bedboard.settings import Settings

# The server adds the session-cookie endpoint beside the app (dashboard/server.py).
APP = Path(__file__).resolve().parent / "server.py"


def dashboard_argv(port: int, settings: Settings | None = None) -> list[str]:
    """The Streamlit command line of the dashboard on a port (the rest is in .streamlit/)."""
    settings = settings or Settings()
    tls = []
    if settings.tls_cert_file and settings.tls_key_file:
        tls = ["--server.sslCertFile", str(settings.tls_cert_file),
               "--server.sslKeyFile", str(settings.tls_key_file)]  # fmt: skip
    return [
        sys.executable, "-m", "streamlit", "run", str(APP),
        "--server.port", str(port),
        "--server.headless", "true",
        "--server.fileWatcherType", "none",
        "--browser.gatherUsageStats", "false",
        # Where people open it; also spares a failed look-up of an external address.
        "--browser.serverAddress", "localhost",
        *tls,
    ]  # fmt: skip
