#!/usr/bin/env python3
"""A static file server for web/dist/ that also records what the page reports.

Any static server serves feedlab; this one is for the tests and measurements in web/. It serves
DIR on 127.0.0.1:PORT (PORT 0 picks a free one and prints it as the first line), and logs one
JSON line per event to LOG: every file served ({"get": path, "t": wall seconds}) and every
event the page sends to /report when its address has `?report` ({"event": ..., "tick": ...,
"ms": ..., "t": ...}). Wall times come from this server's clock, so they are real seconds even
when the browser runs on virtual time.

    python3 web/serve.py web/dist 0 /tmp/events.jsonl
"""

import functools
import http.server
import json
import sys
import threading
import time


class Handler(http.server.SimpleHTTPRequestHandler):
    extensions_map = {
        **http.server.SimpleHTTPRequestHandler.extensions_map,
        ".wasm": "application/wasm",
        ".js": "text/javascript",
    }

    def __init__(self, *args, log, lock, **kwargs):
        self.event_log = log
        self.lock = lock
        super().__init__(*args, **kwargs)

    def record(self, entry):
        entry["t"] = time.time()
        with self.lock, open(self.event_log, "a", encoding="utf-8") as f:
            f.write(json.dumps(entry) + "\n")

    def do_GET(self):
        self.record({"get": self.path})
        super().do_GET()

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        if self.path.split("?")[0].endswith("/report"):
            try:
                entry = json.loads(body)
            except ValueError:
                entry = {"unreadable": body.decode("utf-8", "replace")}
            self.record(entry)
            self.send_response(204)
        else:
            self.send_response(404)
        self.end_headers()

    def end_headers(self):
        # Always the freshly built files.
        self.send_header("Cache-Control", "no-store")
        super().end_headers()

    def log_message(self, *args):
        pass


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    directory, port, log = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    handler = functools.partial(Handler, directory=directory, log=log, lock=threading.Lock())
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
    print(server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
