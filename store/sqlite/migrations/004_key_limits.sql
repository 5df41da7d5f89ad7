-- Per-key limits (0 = unlimited) and monthly quota counters.
ALTER TABLE keys ADD COLUMN max_uploads INTEGER NOT NULL DEFAULT 0;
ALTER TABLE keys ADD COLUMN max_operations INTEGER NOT NULL DEFAULT 0;
ALTER TABLE keys ADD COLUMN rate REAL NOT NULL DEFAULT 0;
ALTER TABLE keys ADD COLUMN max_concurrent INTEGER NOT NULL DEFAULT 0;

CREATE TABLE key_usage (
    key_id TEXT NOT NULL,
    period TEXT NOT NULL,  -- calendar month, UTC: 2026-11
    quota  TEXT NOT NULL,  -- uploads | operations
    used   INTEGER NOT NULL,
    PRIMARY KEY (key_id, period, quota)
) WITHOUT ROWID;

CREATE INDEX operations_active_by_owner ON operations (owner_key_id) WHERE status IN ('queued', 'running');
