"""The dashboard's server is hardened by its own config and command line, wherever it starts."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from bedboard.settings import Settings
from dashboard.launch import APP, dashboard_argv

READ_CONFIG = """
import json, sys
from streamlit import config
config._main_script_path = sys.argv[1]
config.get_config_options(force_reparse=True)
print(json.dumps({k: config.get_option(k) for k in sys.argv[2:]}))
"""


def test_streamlit_reads_the_hardening_next_to_the_app(tmp_path: Path) -> None:
    keys = ["client.showErrorDetails", "server.maxUploadSize", "server.enableXsrfProtection"]
    # Started elsewhere, as `bedboard dashboard` may be: the app's own config still applies.
    out = subprocess.run(
        [sys.executable, "-c", READ_CONFIG, str(APP), *keys],
        cwd=tmp_path, capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    assert json.loads(out.splitlines()[-1]) == {
        "client.showErrorDetails": "none",  # no tracebacks in people's browsers
        "server.maxUploadSize": 2,  # megabytes, refused by the server before any page reads it
        "server.enableXsrfProtection": True,
    }


def test_tls_is_passed_to_streamlit_only_when_both_files_are_set(tmp_path: Path) -> None:
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    argv = dashboard_argv(8501, Settings(tls_cert_file=cert, tls_key_file=key))
    assert argv[argv.index("--server.sslCertFile") + 1] == str(cert)
    assert argv[argv.index("--server.sslKeyFile") + 1] == str(key)
    assert "--server.sslCertFile" not in dashboard_argv(8501, Settings(tls_cert_file=cert))
    assert "--server.sslCertFile" not in dashboard_argv(8501, Settings())
