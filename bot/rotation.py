"""`ledgerlink rotate-keys`: every stored secret re-encrypted with the newest key of LEDGERLINK_SECRET_KEYS.

Slack tokens an older version stored in plain text are encrypted on the way. Each table is done in one
transaction; a secret no configured key can decrypt stops the run with its table named
and nothing of that table changed (SecretBoxError).
"""

from __future__ import annotations

from sqlalchemy import Engine, MetaData, Table, select, update

from core.crypto import SecretBox

#: table → the columns holding Fernet ciphertext
SECRET_COLUMNS: dict[str, tuple[str, ...]] = {
    "connections": ("access_token_enc", "refresh_token_enc"),
    "connect_links": ("pending_tokens_enc",),
    "slack_installations": ("bot_token", "bot_refresh_token", "user_token", "user_refresh_token"),
    "slack_bots": ("bot_token", "bot_refresh_token"),
}


#: tables older versions wrote in plain text (Slack installations before sec01): such values are encrypted here
MAY_BE_PLAIN = ("slack_installations", "slack_bots")
_FERNET_PREFIX = "gAAAAA"


def rotate_all(engine: Engine, keys: str) -> dict[str, int]:
    """Re-encrypt every secret with the newest of `keys` (comma-separated, newest first); counts per table."""
    box = SecretBox(keys)
    counts: dict[str, int] = {}
    for name, columns in SECRET_COLUMNS.items():
        table = Table(name, MetaData(), autoload_with=engine)
        n = 0
        with engine.begin() as conn:
            for row in conn.execute(select(table.c.id, *(table.c[c] for c in columns))).mappings():
                values = {c: _sealed(box, name, row[c]) for c in columns if row[c] is not None}
                if values:
                    conn.execute(update(table).where(table.c.id == row["id"]).values(**values))
                    n += len(values)
        counts[name] = n
    return counts


def _sealed(box: SecretBox, table: str, value: str) -> str | None:
    if table in MAY_BE_PLAIN and not value.startswith(_FERNET_PREFIX):
        return box.encrypt(value)
    return box.rotate(value)
