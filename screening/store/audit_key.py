"""The audit chain's key: which key hashes the rows of which database, and the keyed hash.

Apart from the audit digest (services/audit_digest.py), so that the store can hash rows without importing what sends
email: nothing here imports the rest of the package.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import threading
from dataclasses import dataclass
from typing import Any

from sqlite_utils import Database


@dataclass(frozen=True)
class ChainKey:
    key: bytes
    legacy_rows: int = 0  # rows 1..legacy_rows were written before the chain was keyed

    @property
    def seal_key(self) -> bytes:
        """The key of the submission seal, derived from the audit key: one secret to keep, and a seal can never be
        passed off as an audit row's hash (or the other way round), since the two never share a key."""
        return hmac.new(self.key, b"screening submission seal", hashlib.sha256).digest()

    @property
    def head_key(self) -> bytes:
        """The key of the audit trail's head (its newest event), derived the same way."""
        return hmac.new(self.key, b"screening audit head", hashlib.sha256).digest()


_keys: dict[str, ChainKey] = {}  # by database file: the store looks up the key of the database it writes to
_lock = threading.Lock()


def key_from_config(config: dict[str, Any]) -> ChainKey | None:
    configured = config.get("AUDIT_KEY")
    if not configured:
        return None
    return ChainKey(str(configured).encode(), int(config.get("AUDIT_LEGACY_ROWS") or 0))


def _path_of(database: str) -> str:
    return os.path.realpath(database)


def register(database: str, chain_key: ChainKey | None) -> None:
    with _lock:
        if chain_key is None:
            _keys.pop(_path_of(database), None)
        else:
            _keys[_path_of(database)] = chain_key


def unregister(database: str) -> None:
    with _lock:
        _keys.pop(_path_of(database), None)


def key_for_path(database: str) -> ChainKey | None:
    return _keys.get(_path_of(database))


def key_for(db: Database) -> ChainKey | None:
    """The key of the database this connection writes to (registered by create_app), or None."""
    name = next((row[2] for row in db.conn.execute("PRAGMA database_list") if row[1] == "main"), "")
    return _keys.get(_path_of(name)) if name else None


def keyed_hash(key: bytes, fields: list[Any]) -> str:
    return hmac.new(key, json.dumps(fields, separators=(",", ":")).encode(), hashlib.sha256).hexdigest()
