CREATE TABLE operations (
    id               TEXT PRIMARY KEY,
    owner_key_id     TEXT NOT NULL,
    type             TEXT NOT NULL,
    file_id          TEXT NOT NULL,
    params           TEXT NOT NULL,
    status           TEXT NOT NULL,
    progress         INTEGER NOT NULL DEFAULT 0,
    created_at       INTEGER NOT NULL,
    started_at       INTEGER,
    finished_at      INTEGER,
    result           TEXT,
    error_code       INTEGER NOT NULL DEFAULT 0,
    error_message    TEXT NOT NULL DEFAULT '',
    callback_url     TEXT NOT NULL DEFAULT '',
    idempotency_key  TEXT,
    attempts         INTEGER NOT NULL DEFAULT 0,
    cancel_requested INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX operations_by_owner ON operations (owner_key_id, created_at DESC, id DESC);
CREATE INDEX operations_by_status ON operations (status, created_at);
CREATE INDEX operations_by_file ON operations (file_id, status);
CREATE UNIQUE INDEX operations_idempotency ON operations (owner_key_id, idempotency_key) WHERE idempotency_key IS NOT NULL;
