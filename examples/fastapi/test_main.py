"""Tests for main.py; run with: python3 -m unittest test_main (needs httpx for TestClient)."""

import http.server
import json
import os
import threading
import unittest

from fastapi.testclient import TestClient

import main


class MetadataHandler(http.server.BaseHTTPRequestHandler):
    calls = 0

    def do_GET(self):  # noqa: N802 (http.server's naming)
        type(self).calls += 1
        if self.path != "/v4/abc/task":
            self.send_error(404)
            return
        body = json.dumps({"TaskARN": "arn:aws:ecs:eu-west-1:123456789012:task/fastapi/0123abcd"}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def reset_identity():
    main._identity = None


class WhoAmITest(unittest.TestCase):
    def setUp(self):
        reset_identity()
        self.addCleanup(reset_identity)
        self.addCleanup(os.environ.pop, main._METADATA_ENV, None)

    def test_task_id_comes_from_metadata_once(self):
        server = http.server.HTTPServer(("127.0.0.1", 0), MetadataHandler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        self.addCleanup(server.server_close)
        self.addCleanup(server.shutdown)
        os.environ[main._METADATA_ENV] = f"http://127.0.0.1:{server.server_port}/v4/abc"
        MetadataHandler.calls = 0

        client = TestClient(main.app)
        for _ in range(2):
            body = client.get("/").json()
            self.assertEqual(body["task_id"], "0123abcd")
            self.assertEqual(body["task_arn"], "arn:aws:ecs:eu-west-1:123456789012:task/fastapi/0123abcd")
        self.assertEqual(MetadataHandler.calls, 1)

    def test_falls_back_to_hostname_without_metadata(self):
        body = TestClient(main.app).get("/").json()
        self.assertEqual(body["task_id"], main.socket.gethostname())
        self.assertEqual(body["task_arn"], "")
        self.assertIn("listening_on", body)

    def test_falls_back_when_metadata_unreachable(self):
        # Port 9 (discard) on loopback is closed: the connection is refused.
        os.environ[main._METADATA_ENV] = "http://127.0.0.1:9/v4/abc"
        body = TestClient(main.app).get("/").json()
        self.assertEqual(body["task_id"], main.socket.gethostname())


class ApiTest(unittest.TestCase):
    def setUp(self):
        main._items.clear()
        self.client = TestClient(main.app)

    def test_health(self):
        resp = self.client.get("/health")
        self.assertEqual(resp.status_code, 200)
        self.assertEqual(resp.json(), {"status": "ok"})

    def test_items_lifecycle(self):
        created = self.client.post("/items", json={"name": "tea", "price": 2.5})
        self.assertEqual(created.status_code, 201)
        item = created.json()
        self.assertEqual((item["name"], item["price"]), ("tea", 2.5))

        self.assertEqual(self.client.get(f"/items/{item['id']}").json(), item)
        self.assertEqual(self.client.get("/items").json(), [item])
        self.assertEqual(self.client.delete(f"/items/{item['id']}").status_code, 204)
        self.assertEqual(self.client.get(f"/items/{item['id']}").status_code, 404)
        self.assertEqual(self.client.delete(f"/items/{item['id']}").status_code, 404)
        self.assertEqual(self.client.get("/items").json(), [])

    def test_invalid_item_is_rejected(self):
        resp = self.client.post("/items", json={"name": "tea", "price": "free"})
        self.assertEqual(resp.status_code, 422)

    def test_docs_stay_on(self):
        self.assertEqual(self.client.get("/docs").status_code, 200)
        self.assertEqual(self.client.get("/openapi.json").status_code, 200)


if __name__ == "__main__":
    unittest.main()
