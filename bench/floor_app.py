"""The floor for bench/journey.py: the least a Flask app behind waitress can do per request and still store something.

Each request (GET or POST, any path) makes one INSERT into SQLite and commits it, with journal_mode=WAL and
synchronous=FULL, on a connection kept per server thread (threading.local) and opened once with its PRAGMAs. A GET
answers a small page; a POST reads the form and answers 303 to the next path, as the product's forms do.

Served the way bench/journey.py serves the product, from this folder (waitress-serve puts the current folder on
sys.path):

    FLOOR_DATABASE=/tmp/floor.sqlite3 waitress-serve --listen=127.0.0.1:PORT --threads=8 --call floor_app:create_app
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time

from flask import Flask, redirect, request

SCHEMA = """
CREATE TABLE IF NOT EXISTS hit (
    id INTEGER PRIMARY KEY,
    at_ns INTEGER NOT NULL,
    method TEXT NOT NULL,
    path TEXT NOT NULL,
    form_fields INTEGER NOT NULL
)
"""


def create_app() -> Flask:
    database = os.environ["FLOOR_DATABASE"]
    setup = sqlite3.connect(database)
    setup.execute("PRAGMA journal_mode=WAL")
    setup.execute(SCHEMA)
    setup.commit()
    setup.close()

    kept = threading.local()

    def connection() -> sqlite3.Connection:
        conn = getattr(kept, "conn", None)
        if conn is None:
            # isolation_level=None: autocommit, so each INSERT is its own transaction, committed with a full fsync.
            conn = sqlite3.connect(database, isolation_level=None, check_same_thread=True)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=FULL")
            conn.execute("PRAGMA busy_timeout=5000")
            kept.conn = conn
        return conn

    app = Flask(__name__)

    @app.route("/", defaults={"path": ""}, methods=["GET", "POST"])
    @app.route("/<path:path>", methods=["GET", "POST"])
    def hit(path: str):
        fields = len(request.form) if request.method == "POST" else 0
        row = (
            connection()
            .execute(
                "INSERT INTO hit (at_ns, method, path, form_fields) VALUES (?, ?, ?, ?)",
                (time.time_ns(), request.method, "/" + path, fields),
            )
            .lastrowid
        )
        if request.method == "POST":
            return redirect(request.args.get("next", "/"), 303)
        return f"<!doctype html><title>floor</title><p>hit {row}</p>"

    return app
