"""Failure notifications: where NETPULSE_NOTIFY sends them, and that a broken target never hides the failure."""

from __future__ import annotations

import json
import logging
import socketserver
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from types import SimpleNamespace
from typing import ClassVar

import pytest

from netpulse.orchestration.notify import failure_message, notify_failure, send


def _context(error: Exception) -> dict:
    ti = SimpleNamespace(dag_id="netpulse_build", task_id="build_indicators", run_id="r1", try_number=5)
    return {"ti": ti, "run_id": "r1", "exception": error}


class _Recorder(BaseHTTPRequestHandler):
    received: ClassVar[list[tuple[str, dict]]] = []

    def do_POST(self):  # http.server's name
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).received.append((self.path, body))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


def test_a_webhook_receives_the_failure_as_json(monkeypatch):
    _Recorder.received = []
    server = HTTPServer(("127.0.0.1", 0), _Recorder)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        monkeypatch.setenv("NETPULSE_NOTIFY", f"webhook:http://127.0.0.1:{server.server_address[1]}/hooks/team")
        notify_failure(_context(RuntimeError("warehouse locked by netpulse run (pid 42)")))
    finally:
        server.shutdown()
        server.server_close()
    assert len(_Recorder.received) == 1
    path, body = _Recorder.received[0]
    assert path == "/hooks/team"
    assert body["dag_id"] == "netpulse_build" and body["task_id"] == "build_indicators"
    assert body["try_number"] == 5
    assert body["error"] == "RuntimeError: warehouse locked by netpulse run (pid 42)"
    assert body["text"].startswith("netpulse: netpulse_build.build_indicators failed in run r1")


def test_the_default_is_a_line_in_the_task_log(monkeypatch, caplog):
    monkeypatch.delenv("NETPULSE_NOTIFY", raising=False)
    with caplog.at_level(logging.ERROR, logger="netpulse.orchestration.notify"):
        notify_failure(_context(ValueError("boom")))
    assert [r.getMessage() for r in caplog.records] == [
        "netpulse: netpulse_build.build_indicators failed in run r1: ValueError: boom"]


def test_an_unreachable_webhook_is_logged_without_its_secret_and_not_raised(monkeypatch, caplog):
    monkeypatch.setenv("NETPULSE_NOTIFY", "webhook:http://127.0.0.1:9/secret-token-path")
    with caplog.at_level(logging.ERROR, logger="netpulse.orchestration.notify"):
        notify_failure(_context(ValueError("boom")))
    messages = [r.getMessage() for r in caplog.records]
    assert "could not deliver the failure notification to webhook:http://127.0.0.1:9/…" in messages
    assert not any("secret-token-path" in m for m in messages)


@pytest.mark.parametrize("target", ["smoke-signal", "webhook:", "email:"])
def test_an_unknown_target_is_refused_by_name(target):
    with pytest.raises(ValueError, match="NETPULSE_NOTIFY"):
        send(target, failure_message(_context(ValueError("x"))))


class _SmtpSession(socketserver.StreamRequestHandler):
    """Just enough SMTP to take one message: greets, accepts every command, keeps the DATA."""

    messages: ClassVar[list[dict]] = []

    def handle(self):
        envelope = {"to": [], "data": ""}
        self.wfile.write(b"220 test ready\r\n")
        while line := self.rfile.readline():
            command = line.decode().strip()
            verb = command.split(" ", 1)[0].upper()
            if verb == "EHLO":
                self.wfile.write(b"250 test\r\n")
            elif verb == "RCPT":
                envelope["to"].append(command.split(":", 1)[1].strip(" <>"))
                self.wfile.write(b"250 ok\r\n")
            elif verb == "DATA":
                self.wfile.write(b"354 go on\r\n")
                body = []
                while (part := self.rfile.readline()) not in (b".\r\n", b""):
                    body.append(part.decode())
                envelope["data"] = "".join(body)
                type(self).messages.append(dict(envelope))
                self.wfile.write(b"250 queued\r\n")
            elif verb == "QUIT":
                self.wfile.write(b"221 bye\r\n")
                return
            else:
                self.wfile.write(b"250 ok\r\n")


def test_email_goes_through_the_airflow_smtp_connection_named(monkeypatch):
    _SmtpSession.messages = []
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _SmtpSession)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    connection = {"conn_type": "smtp", "host": "127.0.0.1", "port": server.server_address[1],
                  "extra": {"disable_tls": True, "disable_ssl": True, "from_email": "netpulse@team.example",
                            "retry_limit": 0, "timeout": 10}}
    monkeypatch.setenv("AIRFLOW_CONN_NETPULSE_SMTP", json.dumps(connection))
    try:
        monkeypatch.setenv("NETPULSE_NOTIFY", "email:netpulse_smtp:data-team@team.example")
        notify_failure(_context(RuntimeError("lock held")))
        monkeypatch.setenv("NETPULSE_NOTIFY", "email:netpulse_smtp")  # no address: to the sender
        notify_failure(_context(RuntimeError("lock held")))
    finally:
        server.shutdown()
        server.server_close()
    assert [m["to"] for m in _SmtpSession.messages] == [["data-team@team.example"], ["netpulse@team.example"]]
    assert "netpulse_build.build_indicators failed in run r1" in _SmtpSession.messages[0]["data"]
