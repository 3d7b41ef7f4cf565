"""A real server (waitress on loopback) over an instance folder that exists already, for example a restored one."""

from __future__ import annotations

import http.client
import subprocess
import time
from contextlib import closing

from tests.browser.live_server import BIN, LiveServer


class ServedCopy(LiveServer):
    def start(self) -> ServedCopy:
        """Serve the folder as it is: no init, no admin, no slots (LiveServer.start makes those)."""
        self.process = subprocess.Popen(
            [str(BIN / "waitress-serve"), f"--listen=127.0.0.1:{self.port}", "--call", "screening:create_app"],
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with closing(http.client.HTTPConnection("127.0.0.1", self.port, timeout=1)) as connection:
                    connection.request("GET", "/healthz")
                    if connection.getresponse().status == 200:
                        return self
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError("the server did not answer /healthz within 30 s")
