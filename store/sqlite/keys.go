package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/meshops/meshops"
)

const keyColumns = `id, name, hash, prefix, admin, created_at, expires_at, revoked_at, max_uploads, max_operations, rate, max_concurrent`

// CreateKey stores k; ErrExists if its name (or hash) is taken.
func (s *Store) CreateKey(ctx context.Context, k *meshops.Key) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO keys (`+keyColumns+`) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)`,
		k.ID, k.Name, k.Hash, k.Prefix, k.Admin, nanos(k.CreatedAt), nullNanos(k.ExpiresAt), nullNanos(k.RevokedAt),
		k.Limits.MaxUploadsPerMonth, k.Limits.MaxOperationsPerMonth, k.Limits.RatePerSecond, k.Limits.MaxConcurrent)
	if err != nil && isUniqueViolation(err) {
		return fmt.Errorf("key %q: %w", k.Name, meshops.ErrExists)
	}
	return err
}

func scanKey(r rowScanner) (*meshops.Key, error) {
	var k meshops.Key
	var created int64
	var expires, revoked sql.NullInt64
	if err := r.Scan(&k.ID, &k.Name, &k.Hash, &k.Prefix, &k.Admin, &created, &expires, &revoked,
		&k.Limits.MaxUploadsPerMonth, &k.Limits.MaxOperationsPerMonth, &k.Limits.RatePerSecond, &k.Limits.MaxConcurrent); err != nil {
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

// UpdateKey changes the key's expiry or limits.
func (s *Store) UpdateKey(ctx context.Context, idOrName string, u meshops.KeyUpdate) (*meshops.Key, error) {
	var k *meshops.Key
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var err error
		k, err = scanKey(tx.QueryRowContext(ctx, `SELECT `+keyColumns+` FROM keys WHERE id = ? OR name = ?`, idOrName, idOrName))
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("key %q: %w", idOrName, meshops.ErrNotFound)
		} else if err != nil {
			return err
		}
		u.Apply(k)
		_, err = tx.ExecContext(ctx, `UPDATE keys SET expires_at = ?, max_uploads = ?, max_operations = ?, rate = ?, max_concurrent = ? WHERE id = ?`,
			nullNanos(k.ExpiresAt), k.Limits.MaxUploadsPerMonth, k.Limits.MaxOperationsPerMonth, k.Limits.RatePerSecond, k.Limits.MaxConcurrent, k.ID)
		return err
	})
	return k, err
}

// ConsumeQuota counts one use in a single statement, so concurrent requests
// can never count past the limit.
func (s *Store) ConsumeQuota(ctx context.Context, keyID, period string, q meshops.Quota, limit int64) (int64, bool, error) {
	var used int64
	err := s.db.QueryRowContext(ctx, `INSERT INTO key_usage (key_id, period, quota, used) SELECT ?, ?, ?, 1 WHERE ? <= 0 OR ? >= 1
		ON CONFLICT (key_id, period, quota) DO UPDATE SET used = used + 1 WHERE ? <= 0 OR used < ?
		RETURNING used`, keyID, period, string(q), limit, limit, limit, limit).Scan(&used)
	if errors.Is(err, sql.ErrNoRows) {
		err = s.db.QueryRowContext(ctx, `SELECT COALESCE((SELECT used FROM key_usage WHERE key_id = ? AND period = ? AND quota = ?), 0)`,
			keyID, period, string(q)).Scan(&used)
		return used, false, err
	}
	return used, err == nil, err
}

// RefundQuota takes back one use.
func (s *Store) RefundQuota(ctx context.Context, keyID, period string, q meshops.Quota) error {
	_, err := s.db.ExecContext(ctx, `UPDATE key_usage SET used = used - 1 WHERE key_id = ? AND period = ? AND quota = ? AND used > 0`, keyID, period, string(q))
	return err
}

// QuotaUsage reports the uses counted in period.
func (s *Store) QuotaUsage(ctx context.Context, keyID, period string) (map[meshops.Quota]int64, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT quota, used FROM key_usage WHERE key_id = ? AND period = ?`, keyID, period)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[meshops.Quota]int64{}
	for rows.Next() {
		var q string
		var n int64
		if err := rows.Scan(&q, &n); err != nil {
			return nil, err
		}
		out[meshops.Quota(q)] = n
	}
	return out, rows.Err()
}
