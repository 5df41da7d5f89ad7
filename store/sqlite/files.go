package sqlite

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/meshops/meshops"
)

const fileColumns = `id, owner_key_id, name, format, size_bytes, sha256, units, created_at,
	source_operation_id, mesh, blob_key, deleted_at`

// CreateFile inserts f; meshops.ErrExists if the id was ever used.
func (s *Store) CreateFile(ctx context.Context, f *meshops.File) error {
	var mesh sql.NullString
	if f.Mesh != nil {
		b, err := json.Marshal(f.Mesh)
		if err != nil {
			return err
		}
		mesh = sql.NullString{String: string(b), Valid: true}
	}
	_, err := s.db.ExecContext(ctx, `INSERT INTO files (`+fileColumns+`) VALUES (?,?,?,?,?,?,?,?,?,?,?,NULL)`,
		f.ID, f.OwnerKeyID, f.Name, string(f.Format), f.SizeBytes, f.SHA256, string(f.Units), nanos(f.CreatedAt),
		sql.NullString{String: f.SourceOperationID, Valid: f.SourceOperationID != ""}, mesh, f.BlobKey)
	if err != nil && isUniqueViolation(err) {
		return fmt.Errorf("file %s: %w", f.ID, meshops.ErrExists)
	}
	return err
}

type rowScanner interface{ Scan(dest ...any) error }

func scanFile(r rowScanner) (*meshops.File, *time.Time, error) {
	var (
		f              meshops.File
		format, units  string
		created        int64
		sourceOp, mesh sql.NullString
		deleted        sql.NullInt64
	)
	err := r.Scan(&f.ID, &f.OwnerKeyID, &f.Name, &format, &f.SizeBytes, &f.SHA256, &units, &created,
		&sourceOp, &mesh, &f.BlobKey, &deleted)
	if err != nil {
		return nil, nil, err
	}
	f.Format, f.Units, f.CreatedAt, f.SourceOperationID = meshops.Format(format), meshops.Units(units), fromNanos(created), sourceOp.String
	if mesh.Valid {
		f.Mesh = new(meshops.MeshInfo)
		if err := json.Unmarshal([]byte(mesh.String), f.Mesh); err != nil {
			return nil, nil, fmt.Errorf("file %s: mesh info: %w", f.ID, err)
		}
	}
	return &f, timePtr(deleted), nil
}

// GetFile returns a live file; ErrNotFound or ErrGone otherwise.
func (s *Store) GetFile(ctx context.Context, id string) (*meshops.File, error) {
	f, deleted, err := scanFile(s.getFile.QueryRowContext(ctx, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("file %s: %w", id, meshops.ErrNotFound)
	}
	if err != nil {
		return nil, err
	}
	if deleted != nil {
		return f, fmt.Errorf("file %s: %w", id, meshops.ErrGone)
	}
	return f, nil
}

// FileExists reports whether id names a stored or deleted file.
func (s *Store) FileExists(ctx context.Context, id string) (bool, error) {
	var one int
	err := s.db.QueryRowContext(ctx, `SELECT 1 FROM files WHERE id = ?`, id).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return err == nil, err
}

// ListFiles pages through owner's live files, newest first.
func (s *Store) ListFiles(ctx context.Context, owner string, p meshops.Page) ([]*meshops.File, string, error) {
	after, afterID, err := decodeCursor(p.Cursor)
	if err != nil {
		return nil, "", err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT `+fileColumns+` FROM files
		WHERE owner_key_id = ? AND deleted_at IS NULL AND (? = '' OR created_at < ? OR (created_at = ? AND id < ?))
		ORDER BY created_at DESC, id DESC LIMIT ?`, owner, p.Cursor, after, after, afterID, p.Limit+1)
	if err != nil {
		return nil, "", err
	}
	defer rows.Close()
	var out []*meshops.File
	for rows.Next() {
		f, _, err := scanFile(rows)
		if err != nil {
			return nil, "", err
		}
		out = append(out, f)
	}
	if err := rows.Err(); err != nil {
		return nil, "", err
	}
	out, next := trimPage(out, p.Limit, func(f *meshops.File) (time.Time, string) { return f.CreatedAt, f.ID })
	return out, next, nil
}

// DeleteFile leaves a tombstone and returns the file as it was.
func (s *Store) DeleteFile(ctx context.Context, id string) (*meshops.File, error) {
	f, err := s.GetFile(ctx, id)
	if err != nil {
		return nil, err
	}
	res, err := s.db.ExecContext(ctx, `UPDATE files SET deleted_at = ? WHERE id = ? AND deleted_at IS NULL`, nanos(time.Now()), id)
	if err != nil {
		return nil, err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return nil, fmt.Errorf("file %s: %w", id, meshops.ErrGone)
	}
	return f, nil
}

// trimPage cuts a query's limit+1 rows to limit and returns the cursor of
// the next page ("" when there is none); key gives a row's sort position.
func trimPage[T any](rows []T, limit int, key func(T) (time.Time, string)) ([]T, string) {
	if len(rows) <= limit {
		return rows, ""
	}
	rows = rows[:limit]
	t, id := key(rows[len(rows)-1])
	return rows, encodeCursor(nanos(t), id)
}

func encodeCursor(t int64, id string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(t, 10) + "|" + id))
}

func decodeCursor(c string) (int64, string, error) {
	if c == "" {
		return 0, "", nil
	}
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return 0, "", meshops.ErrBadCursor
	}
	ts, id, ok := strings.Cut(string(b), "|")
	t, err := strconv.ParseInt(ts, 10, 64)
	if !ok || err != nil {
		return 0, "", meshops.ErrBadCursor
	}
	return t, id, nil
}
