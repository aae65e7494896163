"""A small HTTP app: / greets, /count counts its hits in the named volume."""
import http.server
import json
import os
import signal
import sys

DATA = "/data/hits"


def hits():
    try:
        with open(DATA) as f:
            return int(f.read() or 0)
    except FileNotFoundError:
        return 0


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path == "/count":
            n = hits() + 1
            with open(DATA, "w") as f:
                f.write(str(n))
            body = json.dumps({"hits": n, "python": sys.version.split()[0], "user": os.getuid()})
        else:
            body = os.environ.get("GREETING", "hello")
        data = (body + "\n").encode()
        self.send_response(200)
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format, *args):
        print(self.address_string(), format % args, flush=True)


signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
server = http.server.ThreadingHTTPServer(("", int(os.environ.get("PORT", "8000"))), Handler)
print("listening on", server.server_address, flush=True)
server.serve_forever()
