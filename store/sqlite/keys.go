package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/meshops/meshops"
)

const keyColumns = `id, name, hash, prefix, admin, created_at, expires_at, revoked_at`

// CreateKey stores k; ErrExists if its name (or hash) is taken.
func (s *Store) CreateKey(ctx context.Context, k *meshops.Key) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO keys (`+keyColumns+`) VALUES (?,?,?,?,?,?,?,?)`,
		k.ID, k.Name, k.Hash, k.Prefix, k.Admin, nanos(k.CreatedAt), nullNanos(k.ExpiresAt), nullNanos(k.RevokedAt))
	if err != nil && isUniqueViolation(err) {
		return fmt.Errorf("key %q: %w", k.Name, meshops.ErrExists)
	}
	return err
}

func scanKey(r rowScanner) (*meshops.Key, error) {
	var k meshops.Key
	var created int64
	var expires, revoked sql.NullInt64
	if err := r.Scan(&k.ID, &k.Name, &k.Hash, &k.Prefix, &k.Admin, &created, &expires, &revoked); err != nil {
		return nil, err
	}
	k.CreatedAt, k.ExpiresAt, k.RevokedAt = fromNanos(created), timePtr(expires), timePtr(revoked)
	return &k, nil
}

// KeyByHash finds a key (revoked ones too: the caller decides).
func (s *Store) KeyByHash(ctx context.Context, hash string) (*meshops.Key, error) {
	k, err := scanKey(s.keyByHash.QueryRowContext(ctx, hash))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, meshops.ErrNotFound
	}
	return k, err
}

// ListKeys returns all keys, oldest first.
func (s *Store) ListKeys(ctx context.Context) ([]*meshops.Key, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+keyColumns+` FROM keys ORDER BY created_at, id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*meshops.Key
	for rows.Next() {
		k, err := scanKey(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, k)
	}
	return out, rows.Err()
}

// RevokeKey revokes the key with that id or name.
func (s *Store) RevokeKey(ctx context.Context, idOrName string, at time.Time) error {
	res, err := s.db.ExecContext(ctx, `UPDATE keys SET revoked_at = COALESCE(revoked_at, ?) WHERE id = ? OR name = ?`, nanos(at), idOrName, idOrName)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("key %q: %w", idOrName, meshops.ErrNotFound)
	}
	return nil
}

// CountKeys counts all keys, revoked ones included.
func (s *Store) CountKeys(ctx context.Context) (int, error) {
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM keys`).Scan(&n)
	return n, err
}
