"""The mail service: file outbox, SMTP, localised templates."""

from __future__ import annotations

import socketserver
import threading

import pytest

from marketplace_kit.core import mail


class _SMTPHandler(socketserver.StreamRequestHandler):
    """Just enough SMTP for smtplib: records each message's envelope and data."""

    def handle(self):
        out = self.server.messages  # type: ignore[attr-defined]
        self.wfile.write(b"220 localhost test SMTP\r\n")
        envelope: dict = {"rcpt": []}
        while True:
            line = self.rfile.readline()
            if not line:
                return
            cmd = line.decode().strip()
            upper = cmd.upper()
            if upper.startswith(("EHLO", "HELO")):
                self.wfile.write(b"250 localhost\r\n")
            elif upper.startswith("MAIL FROM"):
                envelope["from"] = cmd[10:]
                self.wfile.write(b"250 OK\r\n")
            elif upper.startswith("RCPT TO"):
                envelope["rcpt"].append(cmd[8:])
                self.wfile.write(b"250 OK\r\n")
            elif upper == "DATA":
                self.wfile.write(b"354 go ahead\r\n")
                data = b""
                while not data.endswith(b"\r\n.\r\n"):
                    chunk = self.rfile.readline()
                    if not chunk:
                        return
                    data += chunk
                envelope["data"] = data.decode("utf-8", "replace")
                out.append(envelope)
                envelope = {"rcpt": []}
                self.wfile.write(b"250 queued\r\n")
            elif upper == "QUIT":
                self.wfile.write(b"221 bye\r\n")
                return
            else:
                self.wfile.write(b"250 OK\r\n")


@pytest.fixture
def smtp_server():
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _SMTPHandler)
    server.messages = []  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def test_smtp_backend(app_factory, smtp_server):
    port = smtp_server.server_address[1]
    app = app_factory(
        {
            "mail": {
                "backend": "smtp",
                "smtp_host": "127.0.0.1",
                "smtp_port": port,
                "smtp_security": "none",
                "from_address": "market@example.com",
            }
        }
    )
    with app.test_request_context():
        msg = mail.send(
            "buyer@example.com",
            "password_changed",
            user=type("U", (), {"display_name": "Buyer"})(),
            site=app.extensions["marketplace_kit"].settings.site,
        )
        assert mail.outbox() == []  # nothing kept on disk with SMTP
    [sent] = smtp_server.messages
    assert "buyer@example.com" in sent["rcpt"][0]
    assert "market@example.com" in sent["from"]
    assert f"Subject: {msg.subject}" in sent["data"]
    assert "Hello Buyer," in sent["data"]


def test_file_backend_and_localised_templates(app, tmp_path):
    from flask import render_template_string

    site = app.extensions["marketplace_kit"].settings.site
    user = type("U", (), {"display_name": "Оля"})()
    with app.test_request_context():
        mail.send("a@example.com", "password_changed", locale="ru", user=user, site=site)
        assert render_template_string("{{ get_locale() }}") == "en"  # locale restored
    [stored] = mail.outbox()
    assert stored.to == "a@example.com" and "Оля" in stored.body
    assert stored.subject and "\n" not in stored.subject


def test_templates_can_be_overridden_by_the_site(app_factory, tmp_path):
    folder = tmp_path / "site-templates" / "mail"
    folder.mkdir(parents=True)
    (folder / "password_changed.subject.txt").write_text("Custom subject")
    (folder / "password_changed.txt").write_text("Custom body for {{ user.display_name }}")
    app = app_factory({"theme": {"templates_folder": str(tmp_path / "site-templates")}})
    with app.test_request_context():
        msg = mail.send(
            "x@example.com",
            "password_changed",
            user=type("U", (), {"display_name": "Ann"})(),
            site={},
        )
    assert msg.subject == "Custom subject" and msg.body == "Custom body for Ann\n"
