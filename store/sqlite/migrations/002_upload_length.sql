-- tus uploads declare their total length and carry client metadata up front.
ALTER TABLE uploads ADD COLUMN length INTEGER NOT NULL DEFAULT 0;
ALTER TABLE uploads ADD COLUMN metadata TEXT NOT NULL DEFAULT '{}';
