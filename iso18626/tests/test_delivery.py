"""The outbox's HTTP client: one keep-alive connection per peer, reopened when
the peer closed it, network errors raised for the retry logic."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from iso18626.services import _post, iso_message_backoff


def _server(keep_alive: bool) -> tuple[ThreadingHTTPServer, list[int]]:
    ports: list[int] = []

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1" if keep_alive else "HTTP/1.0"

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers["Content-Length"]))
            ports.append(self.client_address[1])
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, ports


@pytest.mark.parametrize("keep_alive", [True, False])
def test_it_posts_and_reuses_the_connection_when_the_peer_keeps_it(keep_alive) -> None:
    server, ports = _server(keep_alive)
    url = f"http://127.0.0.1:{server.server_port}/iso18626"
    try:
        assert _post(url, b"<a/>") == (200, b"ok")
        assert _post(url, b"<b/>") == (200, b"ok")
    finally:
        server.shutdown()
        server.server_close()
    assert len(set(ports)) == (1 if keep_alive else 2)


def test_a_peer_that_is_down_raises_for_a_retry() -> None:
    server, _ports = _server(True)
    port = server.server_port
    server.shutdown()
    server.server_close()
    with pytest.raises(OSError):
        _post(f"http://127.0.0.1:{port}/iso18626", b"<a/>")


def test_only_http_urls_are_posted_to() -> None:
    with pytest.raises(ValueError, match="http"):
        _post("file:///etc/passwd", b"<a/>")


@pytest.mark.parametrize(
    ("attempts", "seconds"), [(1, 30), (2, 60), (3, 120), (7, 1920), (8, 3600), (30, 3600)]
)
def test_the_back_off_doubles_up_to_an_hour(attempts, seconds) -> None:
    assert iso_message_backoff(attempts=attempts).total_seconds() == seconds
