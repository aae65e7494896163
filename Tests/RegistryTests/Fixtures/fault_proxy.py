#!/usr/bin/env python3
"""A proxy on 127.0.0.1 between the client and a test registry that
injects faults, and logs every request it sees to --log.

--drop-after N     the first GET of each blob sends N bytes of its body, then drops the connection
--too-many N       the first N manifest GETs are answered 429 with Retry-After: 1
--corrupt DIGEST   GETs of that blob have the byte in the middle flipped
--redirect         blob GETs are answered 307 to http://localhost:PORT2 (another host), which
                   logs whether an Authorization header came along, then serves the blob
--silent           accept connections and never answer (a registry that hangs)
Prints "PORT PORT2" on the first line of stdout.
"""
import argparse, http.client, socket, threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--upstream", default="")
    parser.add_argument("--log", required=True)
    parser.add_argument("--drop-after", type=int, default=-1)
    parser.add_argument("--too-many", type=int, default=0)
    parser.add_argument("--corrupt", default="")
    parser.add_argument("--redirect", action="store_true")
    parser.add_argument("--silent", action="store_true")
    args = parser.parse_args()
    lock = threading.Lock()
    state = {"dropped": set(), "too_many": args.too_many, "auth": ""}

    if args.silent:
        listener = socket.socket()
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)
        print(listener.getsockname()[1], 0, flush=True)
        held = []
        while True:
            held.append(listener.accept()[0])

    def record(line):
        with lock, open(args.log, "a") as f:
            f.write(line + "\n")

    def forward(handler, authorization=None):
        length = int(handler.headers.get("Content-Length", "0") or 0)
        body = handler.rfile.read(length) if length else None
        headers = {k: v for k, v in handler.headers.items() if k.lower() not in ("connection", "content-length")}
        if authorization is not None:
            headers["Authorization"] = authorization
        upstream = http.client.HTTPConnection(args.upstream, timeout=30)
        upstream.request(handler.command, handler.path, body=body, headers=headers)
        answer = upstream.getresponse()
        data = answer.read()
        upstream.close()
        return answer, data

    def send(handler, answer, data, limit=None):
        handler.send_response(answer.status)
        for k, v in answer.getheaders():
            if k.lower() not in ("transfer-encoding", "connection", "content-length"):
                handler.send_header(k, v)
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        if handler.command == "HEAD":
            return
        if limit is None:
            handler.wfile.write(data)
            return
        handler.wfile.write(data[:limit])
        handler.wfile.flush()
        handler.close_connection = True
        handler.connection.shutdown(socket.SHUT_RDWR)

    class Front(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *a):
            pass

        def handle(self):
            # A TLS ClientHello (a client trying https first, as docker does with
            # an insecure registry) is refused at once, as a plain registry does.
            if self.connection.recv(1, socket.MSG_PEEK) == b"\x16":
                return
            super().handle()

        def handle_any(self):
            blob = "/blobs/sha256:" in self.path and self.command == "GET"
            record("%s %s range=%s auth=%s" % (self.command, self.path, self.headers.get("Range", "-"),
                                               "yes" if self.headers.get("Authorization") else "no"))
            if self.command == "GET" and "/manifests/" in self.path:
                with lock:
                    throttle = state["too_many"] > 0
                    state["too_many"] -= 1 if throttle else 0
                if throttle:
                    data = b'{"errors":[{"code":"TOOMANYREQUESTS","message":"slow down"}]}'
                    self.send_response(429)
                    self.send_header("Retry-After", "1")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                    return
            if blob and args.redirect:
                state["auth"] = self.headers.get("Authorization", "")
                self.send_response(307)
                self.send_header("Location", "http://localhost:%d%s" % (back.server_address[1], self.path))
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            answer, data = forward(self)
            digest = self.path.rsplit("/", 1)[-1]
            if blob and args.corrupt and digest == args.corrupt and answer.status in (200, 206) and data:
                middle = len(data) // 2
                data = data[:middle] + bytes([data[middle] ^ 0xFF]) + data[middle + 1:]
            limit = None
            if blob and args.drop_after >= 0 and answer.status == 200 and len(data) > args.drop_after:
                with lock:
                    if digest not in state["dropped"]:
                        state["dropped"].add(digest)
                        limit = args.drop_after
            send(self, answer, data, limit)

        do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = handle_any

    class Back(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *a):
            pass

        def do_GET(self):
            record("REDIRECTED %s auth=%s" % (self.path, "yes" if self.headers.get("Authorization") else "no"))
            answer, data = forward(self, authorization=state["auth"])
            send(self, answer, data)

    front = ThreadingHTTPServer(("127.0.0.1", 0), Front)
    back = ThreadingHTTPServer(("127.0.0.1", 0), Back)
    threading.Thread(target=back.serve_forever, daemon=True).start()
    print(front.server_address[1], back.server_address[1], flush=True)
    front.serve_forever()


if __name__ == "__main__":
    main()
