"""The one mail service: render a localised Jinja template, hand it to a backend.

Templates live under ``templates/mail/``: ``<name>.subject.txt`` (one line)
and ``<name>.txt`` (the body); sites and plugins override them like any
template. Backends, chosen by ``[mail] backend``:

* ``file`` (default; development and tests) writes each message as a JSON
  file into ``<instance>/<outbox_folder>/``; :func:`outbox` reads them back and
  the dev page ``/-/mail`` lists them.
* ``smtp`` sends through ``[mail] smtp_*`` with the ``SMTP_PASSWORD``
  environment variable, from the background worker (job ``core.mail_deliver``,
  retried 5 times a minute apart).
"""

from __future__ import annotations

import json
import os
import smtplib
import ssl
import uuid
from dataclasses import asdict, dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from flask import current_app, render_template
from flask_babel import force_locale

from ..db import utcnow


@dataclass
class Message:
    to: str
    subject: str
    body: str
    sender: str
    template: str = ""
    created_at: str = field(default_factory=lambda: utcnow().isoformat())
    id: str = field(default_factory=lambda: uuid.uuid4().hex)


def _settings() -> dict[str, Any]:
    from ...app import state

    return state(current_app).settings.mail


def outbox_dir() -> Path:
    return Path(current_app.instance_path) / _settings()["outbox_folder"]


def render(template: str, locale: str | None = None, **context: Any) -> tuple[str, str]:
    """Render ``mail/<template>`` in ``locale``; return ``(subject, body)``."""
    from ...app import state

    locale = locale or state(current_app).settings.site["default_locale"]
    with force_locale(locale):
        subject = render_template(f"mail/{template}.subject.txt", **context)
        body = render_template(f"mail/{template}.txt", **context)
    return " ".join(subject.split()), body.strip() + "\n"


def send(to: str, template: str, *, locale: str | None = None, **context: Any) -> Message:
    """Render and send one message; return it (as stored by the file backend)."""
    settings = _settings()
    subject, body = render(template, locale, **context)
    message = Message(
        to=to, subject=subject, body=body, sender=settings["from_address"], template=template
    )
    if settings["backend"] == "smtp":
        # SMTP is slow and may fail: deliver from the worker, with retries. This also
        # keeps response times the same whether or not a request sent mail.
        from ...jobs import enqueue

        enqueue(DELIVER_JOB, asdict(message))
    else:
        _send_file(message)
    return message


def send_now(to: str, template: str, *, locale: str | None = None, **context: Any) -> Message:
    """Render and deliver one message in this process; raise when the backend fails.

    For callers that keep their own durable retry state (the notification
    outbox), so a failure is seen rather than handed to another queue.
    """
    settings = _settings()
    subject, body = render(template, locale, **context)
    message = Message(
        to=to, subject=subject, body=body, sender=settings["from_address"], template=template
    )
    if settings["backend"] == "smtp":
        _send_smtp(message, settings)
    else:
        _send_file(message)
    return message


DELIVER_JOB = "core.mail_deliver"


def deliver(message: dict[str, Any]) -> None:
    """The ``core.mail_deliver`` job: hand a rendered message to the SMTP server."""
    _send_smtp(Message(**message), _settings())


def _send_file(message: Message) -> None:
    folder = outbox_dir()
    folder.mkdir(parents=True, exist_ok=True)
    name = f"{message.created_at.replace(':', '-')}-{message.id}.json"
    tmp = folder / (name + ".tmp")
    tmp.write_text(json.dumps(asdict(message), ensure_ascii=False, indent=1), encoding="utf-8")
    os.replace(tmp, folder / name)


def _send_smtp(message: Message, settings: dict[str, Any]) -> None:
    from ...app import state

    email = EmailMessage()
    email["From"] = message.sender
    email["To"] = message.to
    email["Subject"] = message.subject
    email.set_content(message.body)
    host, port, timeout = settings["smtp_host"], settings["smtp_port"], settings["smtp_timeout"]
    security = settings["smtp_security"]
    if security == "ssl":
        smtp: smtplib.SMTP = smtplib.SMTP_SSL(
            host, port, timeout=timeout, context=ssl.create_default_context()
        )
    else:
        smtp = smtplib.SMTP(host, port, timeout=timeout)
    with smtp:
        if security == "starttls":
            smtp.starttls(context=ssl.create_default_context())
        password = state(current_app).settings.smtp_password
        if settings["smtp_username"]:
            smtp.login(settings["smtp_username"], password or "")
        smtp.send_message(email)


def outbox() -> list[Message]:
    """Messages kept by the file backend, oldest first."""
    folder = outbox_dir()
    if not folder.is_dir():
        return []
    out = []
    for path in sorted(folder.glob("*.json")):
        out.append(Message(**json.loads(path.read_text(encoding="utf-8"))))
    return out
