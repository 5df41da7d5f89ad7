package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/meshops/meshops"
)

// PutChunk records a chunk, creating the upload on its first chunk. See
// meshops.UploadStore for the conflicts it reports.
func (s *Store) PutChunk(ctx context.Context, fileID, owner string, c meshops.Chunk, now, expiresAt time.Time) (*meshops.Chunk, *meshops.Upload, error) {
	var replaced *meshops.Chunk
	var up *meshops.Upload
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var curOwner string
		var committing bool
		err := tx.QueryRowContext(ctx, `SELECT owner_key_id, committing FROM uploads WHERE file_id = ?`, fileID).Scan(&curOwner, &committing)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			if _, err := tx.ExecContext(ctx, `INSERT INTO uploads (file_id, owner_key_id, created_at, updated_at, expires_at) VALUES (?,?,?,?,?)`,
				fileID, owner, nanos(now), nanos(now), nanos(expiresAt)); err != nil {
				return err
			}
		case err != nil:
			return err
		case curOwner != owner:
			return fmt.Errorf("upload %s belongs to another key: %w", fileID, meshops.ErrConflict)
		case committing:
			return fmt.Errorf("upload %s is being committed: %w", fileID, meshops.ErrConflict)
		default:
			if _, err := tx.ExecContext(ctx, `UPDATE uploads SET updated_at = ?, expires_at = ? WHERE file_id = ?`,
				nanos(now), nanos(expiresAt), fileID); err != nil {
				return err
			}
		}
		old := meshops.Chunk{Index: c.Index}
		err = tx.QueryRowContext(ctx, `SELECT size_bytes, sha256, blob_key FROM upload_chunks WHERE file_id = ? AND idx = ?`,
			fileID, c.Index).Scan(&old.SizeBytes, &old.SHA256, &old.BlobKey)
		if err == nil {
			replaced = &old
		} else if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT OR REPLACE INTO upload_chunks (file_id, idx, size_bytes, sha256, blob_key) VALUES (?,?,?,?,?)`,
			fileID, c.Index, c.SizeBytes, c.SHA256, c.BlobKey); err != nil {
			return err
		}
		up, err = getUpload(ctx, tx, fileID)
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	return replaced, up, nil
}

// CreateUpload inserts an upload without chunks.
func (s *Store) CreateUpload(ctx context.Context, u *meshops.Upload) error {
	md, err := json.Marshal(u.Metadata)
	if err != nil {
		return err
	}
	_, err = s.db.ExecContext(ctx, `INSERT INTO uploads (file_id, owner_key_id, created_at, updated_at, expires_at, length, metadata) VALUES (?,?,?,?,?,?,?)`,
		u.FileID, u.OwnerKeyID, nanos(u.CreatedAt), nanos(u.UpdatedAt), nanos(u.ExpiresAt), u.Length, string(md))
	if err != nil && isUniqueViolation(err) {
		return fmt.Errorf("upload %s: %w", u.FileID, meshops.ErrExists)
	}
	return err
}

type querier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

func getUpload(ctx context.Context, q querier, fileID string) (*meshops.Upload, error) {
	u := meshops.Upload{FileID: fileID}
	var created, updated, expires int64
	var md string
	err := q.QueryRowContext(ctx, `SELECT owner_key_id, created_at, updated_at, expires_at, committing, length, metadata FROM uploads WHERE file_id = ?`, fileID).
		Scan(&u.OwnerKeyID, &created, &updated, &expires, &u.Committing, &u.Length, &md)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("upload %s: %w", fileID, meshops.ErrNotFound)
	}
	if err != nil {
		return nil, err
	}
	u.CreatedAt, u.UpdatedAt, u.ExpiresAt = fromNanos(created), fromNanos(updated), fromNanos(expires)
	if err := json.Unmarshal([]byte(md), &u.Metadata); err != nil {
		return nil, fmt.Errorf("upload %s metadata: %w", fileID, err)
	}
	rows, err := q.QueryContext(ctx, `SELECT idx, size_bytes, sha256, blob_key FROM upload_chunks WHERE file_id = ? ORDER BY idx`, fileID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var c meshops.Chunk
		if err := rows.Scan(&c.Index, &c.SizeBytes, &c.SHA256, &c.BlobKey); err != nil {
			return nil, err
		}
		u.Chunks = append(u.Chunks, c)
	}
	return &u, rows.Err()
}

// GetUpload returns the upload and its chunks in index order.
func (s *Store) GetUpload(ctx context.Context, fileID string) (*meshops.Upload, error) {
	return getUpload(ctx, s.db, fileID)
}

// BeginCommit flags the upload as committing, once.
func (s *Store) BeginCommit(ctx context.Context, fileID string) (*meshops.Upload, error) {
	var up *meshops.Upload
	err := s.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE uploads SET committing = 1 WHERE file_id = ? AND committing = 0`, fileID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			if _, err := getUpload(ctx, tx, fileID); err != nil {
				return err
			}
			return fmt.Errorf("upload %s is already being committed: %w", fileID, meshops.ErrConflict)
		}
		up, err = getUpload(ctx, tx, fileID)
		return err
	})
	return up, err
}

// EndCommit clears the committing flag.
func (s *Store) EndCommit(ctx context.Context, fileID string) error {
	_, err := s.db.ExecContext(ctx, `UPDATE uploads SET committing = 0 WHERE file_id = ?`, fileID)
	return err
}

// DeleteUpload removes the upload, returning it with its chunks.
func (s *Store) DeleteUpload(ctx context.Context, fileID string) (*meshops.Upload, error) {
	var up *meshops.Upload
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var err error
		if up, err = getUpload(ctx, tx, fileID); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `DELETE FROM uploads WHERE file_id = ?`, fileID)
		return err
	})
	return up, err
}

// ExpiredUploads lists uploads that expired before now (not those being committed).
func (s *Store) ExpiredUploads(ctx context.Context, now time.Time, limit int) ([]*meshops.Upload, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT file_id FROM uploads WHERE expires_at < ? AND committing = 0 ORDER BY expires_at LIMIT ?`, nanos(now), limit)
	if err != nil {
		return nil, err
	}
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, err
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out := make([]*meshops.Upload, 0, len(ids))
	for _, id := range ids {
		u, err := s.GetUpload(ctx, id)
		if errors.Is(err, meshops.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		out = append(out, u)
	}
	return out, nil
}
