"""The handlers of the `bedboard` subcommands, registered on import."""

from bedboard.commands import alerts, consume, export, infra, produce, serve, users  # noqa: F401
