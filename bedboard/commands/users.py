"""`bedboard users add|remove|list`: the dashboard's local accounts."""

from __future__ import annotations

import argparse
import getpass
import sys

from bedboard.console import DONE, FAILED, USAGE, say, warn
from bedboard.settings import Settings
from dashboard.accounts import UserError, UsersFile, users_path
from producers.identity import ROLES


def read_password(username: str) -> str | None:
    """The new password from stdin when piped, else typed twice at a prompt; None if they differ."""
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass(f"password for {username}: ")
    if getpass.getpass("again: ") != first:
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
        warn(
            "a password is never given as an argument: type it at the prompt, or pipe it on "
            "stdin (e.g. `bedboard users add NAME --role ROLE < file`)"
        )
        return USAGE
    try:
        if args.action == "list":
            return _list(store)
        if not args.username:
            warn(f"bedboard users {args.action}: give a username")
            return USAGE
        if args.action == "remove":
            store.remove(args.username)
            say(f"removed {args.username}")
            return DONE
        if not args.role:
            warn("bedboard users add: give --role (hospital_staff, coordinator, official, admin)")
            return USAGE
        password = None if args.sso else read_password(args.username)
        if not args.sso and password is None:
            warn("the two passwords differ; nothing was changed")
            return FAILED
        user = store.add(args.username, args.role, password, tuple(args.facility))
    except UserError as error:
        warn(error.message(settings.lang))
        return FAILED
    bound = f" for {', '.join(user.facilities)}" if user.facilities else ""
    how = "single sign-on" if user.password_hash is None else "password"
    say(f"added {user.username} ({user.role}{bound}, {how}) to {store.path}")
    return DONE


def _list(store: UsersFile) -> int:
    accounts = store.load()
    if not accounts:
        say(f"no accounts in {store.path}")
        return DONE
    say(f"{'username':<24}{'role':<16}{'sign-in':<10}facilities")
    for user in accounts.values():
        how = "sso" if user.password_hash is None else "password"
        say(f"{user.username:<24}{user.role:<16}{how:<10}{', '.join(user.facilities)}")
    return DONE
