# A small JSON API for workflow tests: the engine's http_request nodes and exported scripts
# both call it. Prints its port, then serves until killed.
import json
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Handler(BaseHTTPRequestHandler):
    def answer(self, code, body):
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        parts = self.path.split("?")[0].strip("/").split("/")
        if parts[0] == "items" and len(parts) == 2 and parts[1].isdigit():
            n = int(parts[1])
            self.answer(200, {"id": n, "name": "item-%d" % n, "price": n * 10, "tags": ["t%d" % i for i in range(n % 3 + 1)],
                              "query": self.path.split("?")[1] if "?" in self.path else ""})
        elif parts[0] == "status" and len(parts) == 2:
            self.answer(int(parts[1]), {"status": int(parts[1])})
        elif parts[0] == "slow":
            time.sleep(10)
            self.answer(200, {"slow": True})
        else:
            self.answer(404, {"error": "no such thing"})

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length) or b"null")
        if self.path == "/webhook/later":
            # n8n accepting a job it will report on later (the test posts the callback itself).
            self.answer(200, {"accepted": True, "header_url": self.headers.get("X-Callback-URL"), "body_url": (body or {}).get("callback_url")})
            return
        headers = {k.lower(): v for k, v in self.headers.items() if k.lower().startswith("x-")}
        self.answer(200, {"echo": body, "path": self.path, "headers": headers})

    def log_message(self, *args):
        pass


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
print(server.server_address[1], flush=True)
try:
    server.serve_forever()
except KeyboardInterrupt:
    pass
