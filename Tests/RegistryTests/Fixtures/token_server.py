#!/usr/bin/env python3
"""A docker token server for the registry tests, on 127.0.0.1 only.

Answers GET /token?service=S&scope=repository:NAME:ACTIONS (Basic auth
checked against --user) and POST /token (grant_type=refresh_token, the
refresh token being --refresh-token) with a JWT signed RS256 by --key,
whose certificate travels in the x5c header; the registry (auth: token,
rootcertbundle = that certificate) verifies it. Prints its port on the
first line of stdout, and logs one line per request to --log.
"""
import argparse, base64, json, subprocess, threading, time, urllib.parse, uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--key", required=True)
    parser.add_argument("--cert-der", required=True)
    parser.add_argument("--issuer", required=True)
    parser.add_argument("--user", default="")
    parser.add_argument("--refresh-token", default="")
    parser.add_argument("--expires-in", type=int, default=300)
    parser.add_argument("--log", required=True)
    args = parser.parse_args()
    with open(args.cert_der, "rb") as f:
        x5c = base64.b64encode(f.read()).decode()
    lock = threading.Lock()

    def sign(service, scopes, subject):
        now = int(time.time())
        access = []
        for scope in scopes:
            parts = scope.split(":")
            if len(parts) >= 3:
                access.append({"type": parts[0], "name": ":".join(parts[1:-1]), "actions": parts[-1].split(",")})
        header = {"typ": "JWT", "alg": "RS256", "x5c": [x5c]}
        claims = {"iss": args.issuer, "sub": subject, "aud": service, "exp": now + args.expires_in,
                  "nbf": now - 10, "iat": now, "jti": uuid.uuid4().hex, "access": access}
        payload = b64url(json.dumps(header).encode()) + "." + b64url(json.dumps(claims).encode())
        signature = subprocess.run(["openssl", "dgst", "-sha256", "-sign", args.key], input=payload.encode(),
                                   capture_output=True, check=True).stdout
        return payload + "." + b64url(signature)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *a):
            pass

        def record(self, line):
            with lock, open(args.log, "a") as f:
                f.write(line + "\n")

        def answer(self, status, body):
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):
            url = urllib.parse.urlparse(self.path)
            query = urllib.parse.parse_qs(url.query)
            scopes = query.get("scope", [])
            service = (query.get("service") or [""])[0]
            auth = self.headers.get("Authorization", "")
            user = ""
            if auth.startswith("Basic "):
                user = base64.b64decode(auth[6:]).decode()
            self.record("GET " + " ".join(scopes) + " user=" + user.split(":")[0])
            if args.user and user != args.user:
                return self.answer(401, {"errors": [{"code": "UNAUTHORIZED", "message": "bad credentials"}]})
            self.answer(200, {"token": sign(service, scopes, user.split(":")[0]), "expires_in": args.expires_in})

        def do_POST(self):
            length = int(self.headers.get("Content-Length", "0"))
            form = urllib.parse.parse_qs(self.rfile.read(length).decode())
            scopes = " ".join(form.get("scope", [])).split()
            self.record("POST " + " ".join(scopes) + " grant=" + (form.get("grant_type") or [""])[0])
            if (form.get("refresh_token") or [""])[0] != args.refresh_token or not args.refresh_token:
                return self.answer(401, {"error": "invalid_grant"})
            service = (form.get("service") or [""])[0]
            self.answer(200, {"access_token": sign(service, scopes, "token-user"), "expires_in": args.expires_in})

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    print(server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
