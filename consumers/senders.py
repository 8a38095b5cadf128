"""The two ways a notification leaves: a webhook's JSON POST and an e-mail over SMTP."""

from __future__ import annotations

import json
import smtplib
import ssl
import urllib.error
import urllib.request
from collections.abc import Callable
from email.message import EmailMessage
from email.utils import formatdate

from bedboard.settings import Settings
from consumers.notify_store import Delivery

Send = Callable[[Delivery], None]


class DeliveryFailed(RuntimeError):
    """A webhook or mail server did not take a notification; the message says why."""


def delivery_key(delivery: Delivery) -> str:
    """The same for every attempt of one delivery, so that a receiver may drop a repeat."""
    return f"{delivery.event_id}.{delivery.subscription_id}"


def post_webhook(url: str, text: str, key: str, timeout: float) -> None:
    """POST {"text": ...}, which Slack's and Teams' incoming webhooks both accept."""
    request = urllib.request.Request(
        url,
        data=json.dumps({"text": text}, ensure_ascii=False).encode(),
        headers={"Content-Type": "application/json; charset=utf-8", "Idempotency-Key": key},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 (checked)
            response.read()
    except urllib.error.HTTPError as error:
        raise DeliveryFailed(f"HTTP {error.code}") from error
    except (urllib.error.URLError, OSError) as error:
        reason = getattr(error, "reason", error)
        raise DeliveryFailed(f"{type(error).__name__}: {reason}") from error


def send_email(settings: Settings, to: str, subject: str, text: str, key: str) -> None:
    """Send a plain-text e-mail through the configured SMTP server (STARTTLS and login if set)."""
    if not settings.smtp_host:
        raise DeliveryFailed("no SMTP server configured (BEDBOARD_SMTP_HOST)")
    mail = EmailMessage()
    mail["From"], mail["To"], mail["Subject"] = settings.smtp_from, to, subject
    mail["Date"] = formatdate(localtime=False)
    domain = settings.smtp_from.rpartition("@")[2] or "bedboard"
    mail["Message-ID"] = f"<{key}@{domain}>"  # the same on a retry: mail clients merge repeats
    mail.set_content(text)
    timeout = settings.notify_timeout.total_seconds()
    try:
        with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=timeout) as smtp:
            if settings.smtp_starttls:
                smtp.starttls(context=ssl.create_default_context())
            if settings.smtp_username:
                password = settings.smtp_password
                smtp.login(settings.smtp_username, password.get_secret_value() if password else "")
            smtp.send_message(mail)
    except (smtplib.SMTPException, OSError) as error:  # OSError: refused, timed out
        raise DeliveryFailed(f"{type(error).__name__}: {error}") from error


def sender(settings: Settings) -> Send:
    """Send one delivery by its channel; raises DeliveryFailed."""
    timeout = settings.notify_timeout.total_seconds()

    def send(delivery: Delivery) -> None:
        key = delivery_key(delivery)
        if delivery.channel == "webhook":
            post_webhook(delivery.target, delivery.text, key, timeout)
        else:
            send_email(settings, delivery.target, delivery.subject, delivery.text, key)

    return send
