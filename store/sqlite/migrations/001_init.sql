-- Times are Unix nanoseconds, UTC.
CREATE TABLE keys (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE,
    hash       TEXT NOT NULL UNIQUE,
    prefix     TEXT NOT NULL,
    admin      INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    expires_at INTEGER,
    revoked_at INTEGER
);

CREATE TABLE files (
    id                  TEXT PRIMARY KEY,
    owner_key_id        TEXT NOT NULL,
    name                TEXT NOT NULL,
    format              TEXT NOT NULL,
    size_bytes          INTEGER NOT NULL,
    sha256              TEXT NOT NULL,
    units               TEXT NOT NULL,
    created_at          INTEGER NOT NULL,
    source_operation_id TEXT,
    mesh                TEXT,
    blob_key            TEXT NOT NULL,
    deleted_at          INTEGER
);
CREATE INDEX files_by_owner ON files (owner_key_id, created_at DESC, id DESC) WHERE deleted_at IS NULL;

CREATE TABLE uploads (
    file_id      TEXT PRIMARY KEY,
    owner_key_id TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL,
    committing   INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX uploads_by_expiry ON uploads (expires_at);

CREATE TABLE upload_chunks (
    file_id    TEXT NOT NULL REFERENCES uploads (file_id) ON DELETE CASCADE,
    idx        INTEGER NOT NULL,
    size_bytes INTEGER NOT NULL,
    sha256     TEXT NOT NULL,
    blob_key   TEXT NOT NULL,
    PRIMARY KEY (file_id, idx)
);
