"""Stand-ins for outside services, shared by the test packages (import as
``from tests.standins import ...``; pyproject's pytest ``pythonpath`` puts the project
root on sys.path)."""

import json
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class GeocoderStandIn:
    """A scripted geocoding service on 127.0.0.1 at a random port.

    ``script[query]`` is a list of replies, used in turn (the last one repeats):
    ``(status, headers, body)`` or ``("sleep", seconds, body)`` to answer late.
    Every request is recorded with its path, parameters and headers.
    """

    def __init__(self) -> None:
        self.script: dict[str, list] = {}
        self.requests: list[dict] = []
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                url = urllib.parse.urlparse(self.path)
                params = dict(urllib.parse.parse_qsl(url.query))
                query = params.get("q", params.get("text", ""))
                stand_in.requests.append(
                    {"path": url.path, "params": params, "headers": dict(self.headers)}
                )
                replies = stand_in.script.get(query, [(200, {}, "[]")])
                reply = replies.pop(0) if len(replies) > 1 else replies[0]
                if reply[0] == "sleep":
                    time.sleep(reply[1])
                    reply = (200, {}, reply[2])
                status, headers, body = reply
                data = (
                    body.encode()
                    if isinstance(body, str)
                    else json.dumps(body).encode()
                )
                try:
                    self.send_response(status)
                    for name, value in headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up waiting (time-out test)

            def log_message(self, *args) -> None:  # keep pytest output clean
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(
            target=self.server.serve_forever,
            kwargs={"poll_interval": 0.02},
            daemon=True,
        )
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
