"""A real server (waitress on loopback) over an instance folder that exists already, for example a restored one."""

from __future__ import annotations

from tests.live_server import LiveServer


class ServedCopy(LiveServer):
    def start(self) -> ServedCopy:
        """Serve the folder as it is: no init, no admin, no slots (LiveServer.start makes those)."""
        return self.serve()
