import http.server, socket, urllib.parse
class Dialer(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        to = urllib.parse.parse_qs(urllib.parse.urlparse(self.path).query).get("to", [""])[0]
        host, port = to.rsplit(":", 1)
        try:
            socket.create_connection((host, int(port)), timeout=5).close()
            body = "ok"
        except OSError as e:
            body = "error: " + str(e)
        self.send_response(200)
        self.end_headers()
        self.wfile.write(body.encode())
http.server.ThreadingHTTPServer(("0.0.0.0", 8000), Dialer).serve_forever()
