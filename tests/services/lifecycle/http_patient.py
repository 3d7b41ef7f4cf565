"""A patient's browser over real HTTP, shaped like Flask's test client so that `walk` (tests/journeys.py) can drive it.

Cookies are kept by hand: the session cookie is `__Host-` and Secure, which http.cookiejar would not send over
http://127.0.0.1 (browsers do, for loopback)."""

from __future__ import annotations

import http.client
import time
from urllib.parse import urlencode, urlsplit


class _Request:
    def __init__(self, path: str):
        self.path = path


class Response:
    def __init__(self, status: int, headers, body: bytes, path: str):
        self.status_code = status
        self.headers = headers
        self.body = body
        self.request = _Request(path)

    def get_data(self, as_text: bool = False):
        return self.body.decode() if as_text else self.body


class HttpPatient:
    def __init__(self, port: int):
        self.port = port
        self.cookies: dict[str, str] = {}
        self.acknowledged: list[tuple[str, float]] = []  # (submission key, when the 303 arrived)

    def _send(self, method: str, path: str, body: str | None = None) -> Response:
        headers = {"Host": f"127.0.0.1:{self.port}"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            connection.request(method, path, body=body, headers=headers)
            answer = connection.getresponse()
            data = answer.read()
        finally:
            connection.close()
        for header in answer.headers.get_all("Set-Cookie") or []:
            name, _, value = header.split(";", 1)[0].partition("=")
            self.cookies[name.strip()] = value.strip()
        return Response(answer.status, answer.headers, data, urlsplit(path).path)

    def get(self, path: str) -> Response:
        return self._send("GET", path)

    def post(self, path: str, data: dict) -> Response:
        response = self._send("POST", path, urlencode(data, doseq=True))
        if urlsplit(path).path == "/check-your-answers" and response.status_code == 303:
            self.acknowledged.append((data["submission_key"], time.monotonic()))
        return response
