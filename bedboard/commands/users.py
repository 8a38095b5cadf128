"""`bedboard users add|remove|list`: the dashboard's local accounts."""

from __future__ import annotations

import argparse
import getpass
import sys

from bedboard.console import DONE, FAILED, USAGE, row, say, text, warn
from bedboard.settings import Settings
from dashboard.accounts import UserError, UsersFile, users_path
from producers.identity import ROLES


def read_password(username: str, settings: Settings) -> str | None:
    """The new password from stdin when piped, else typed twice at a prompt; None if they differ."""
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass(text(settings, "password_prompt", username=username))
    if getpass.getpass(text(settings, "password_again")) != first:
        return None
    return first


def users_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("action", choices=["add", "remove", "list"])
    p.add_argument("username", nargs="?")
    p.add_argument("extra", nargs="*", help=argparse.SUPPRESS)  # refused: never a password
    p.add_argument("--role", choices=ROLES)
    p.add_argument("--facility", action="append", default=[], help="facility id (staff)")
    p.add_argument("--sso", action="store_true", help="no password: single sign-on only")


def users(args: argparse.Namespace, settings: Settings) -> int:
    store = UsersFile(users_path(settings))
    if args.extra:
        # Never echo these: a password typed as an argument must not reach a terminal log.
        warn(text(settings, "password_as_argument"))
        return USAGE
    try:
        if args.action == "list":
            return _list(store, settings)
        if not args.username:
            warn(text(settings, "give_username", action=args.action))
            return USAGE
        if args.action == "remove":
            store.remove(args.username)
            say(text(settings, "user_removed", username=args.username))
            return DONE
        if not args.role:
            warn(text(settings, "give_role", roles=", ".join(ROLES)))
            return USAGE
        password = None if args.sso else read_password(args.username, settings)
        if not args.sso and password is None:
            warn(text(settings, "passwords_differ"))
            return FAILED
        user = store.add(args.username, args.role, password, tuple(args.facility))
    except UserError as error:
        warn(error.message(settings.lang))
        return FAILED
    bound = ", ".join(user.facilities)
    say(
        text(
            settings,
            "user_added",
            username=user.username,
            role=user.role,
            bound=text(settings, "user_bound", facilities=bound) if bound else "",
            how=_sign_in(user.password_hash, settings),
            path=store.path,
        )
    )
    return DONE


def _sign_in(password_hash: str | None, settings: Settings) -> str:
    return text(settings, "sign_in_sso" if password_hash is None else "sign_in_password")


def _list(store: UsersFile, settings: Settings) -> int:
    accounts = store.load()
    if not accounts:
        say(text(settings, "no_accounts", path=store.path))
        return DONE
    widths = (-24, -16, -20, -1)
    say(row(text(settings, "accounts_columns").split(), widths))
    for user in accounts.values():
        how = _sign_in(user.password_hash, settings)
        say(row([user.username, user.role, how, ", ".join(user.facilities)], widths))
    return DONE
