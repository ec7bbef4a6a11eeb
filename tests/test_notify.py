"""Failure notifications: where NETPULSE_NOTIFY sends them, and that a broken target never hides the failure."""

from __future__ import annotations

import json
import logging
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from types import SimpleNamespace

import pytest

from netpulse.orchestration.notify import failure_message, notify_failure, send


def _context(error: Exception) -> dict:
    ti = SimpleNamespace(dag_id="netpulse_build", task_id="build_indicators", run_id="r1", try_number=5)
    return {"ti": ti, "run_id": "r1", "exception": error}


class _Recorder(BaseHTTPRequestHandler):
    received: list[tuple[str, dict]] = []

    def do_POST(self):  # noqa: N802 - http.server's name
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
