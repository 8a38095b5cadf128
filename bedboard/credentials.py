"""The local broker's Kafka principals and their passwords, kept in one owner-only file."""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

# Who talks to Kafka. `admin` is the operator (topics, ACLs, publish, import, simulate); the
# dashboard and the API are the two doors that write events; `replica` only reads and rejects to
# the dead-letter topic; `alerts` derives alerts from capacity; `notify` reads what it tells of.
PRINCIPALS = ("admin", "dashboard", "api", "replica", "alerts", "notify")
OPERATOR = "admin"
# The broker's own identity on its controller listener (a static PLAIN user: SCRAM users live in
# the metadata log, which the controller has to serve before it can read them).
CONTROLLER = "controller"
MECHANISM = "SCRAM-SHA-512"
PROTOCOL = "SASL_PLAINTEXT"
FILE_NAME = "credentials.json"


class CredentialsError(RuntimeError):
    """The local credentials file is missing a principal or cannot be read."""


@dataclass(frozen=True)
class LocalCredentials:
    """What `bedboard broker start` generated: one password per principal, and the controller's."""

    passwords: dict[str, str]
    controller_password: str
    mechanism: str = MECHANISM
    security_protocol: str = PROTOCOL

    @classmethod
    def generate(cls) -> LocalCredentials:
        """Fresh random passwords for every principal."""
        return cls(
            passwords={name: secrets.token_urlsafe(24) for name in PRINCIPALS},
            controller_password=secrets.token_urlsafe(24),
        )

    def client_options(self, principal: str) -> dict[str, object]:
        """kafka-python's options to connect to the local broker as principal."""
        if principal not in self.passwords:
            raise CredentialsError(
                f"no local Kafka credentials for principal {principal!r} "
                f"(known: {', '.join(sorted(self.passwords))})"
            )
        return {
            "security_protocol": self.security_protocol,
            "sasl_mechanism": self.mechanism,
            "sasl_plain_username": principal,
            "sasl_plain_password": self.passwords[principal],
        }

    def write(self, path: Path) -> None:
        """Write the file readable by its owner only (created so, never widened after the fact)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        body = {
            "security_protocol": self.security_protocol,
            "sasl_mechanism": self.mechanism,
            "users": self.passwords,
            "controller_password": self.controller_password,
        }
        partial = path.with_name(path.name + ".partial")
        partial.unlink(missing_ok=True)
        descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as out:
            json.dump(body, out, indent=2)
            out.write("\n")
        partial.replace(path)


def read(path: Path) -> LocalCredentials | None:
    """The credentials in path, or None if there is no such file."""
    try:
        body = json.loads(path.read_text())
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as error:
        raise CredentialsError(f"cannot read the Kafka credentials file {path}: {error}") from error
    try:
        return LocalCredentials(
            passwords={str(k): str(v) for k, v in body["users"].items()},
            controller_password=str(body["controller_password"]),
            mechanism=str(body.get("sasl_mechanism", MECHANISM)),
            security_protocol=str(body.get("security_protocol", PROTOCOL)),
        )
    except (KeyError, AttributeError, TypeError) as error:
        raise CredentialsError(
            f"the Kafka credentials file {path} is incomplete: {error}"
        ) from error


def read_or_create(path: Path) -> LocalCredentials:
    """The credentials in path, generated and written there first if missing."""
    found = read(path)
    if found is None:
        found = LocalCredentials.generate()
        found.write(path)
    return found
