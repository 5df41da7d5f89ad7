package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/meshops/meshops"
)

const opColumns = `id, owner_key_id, type, file_id, params, status, progress, created_at, started_at, finished_at,
	result, error_code, error_message, callback_url, idempotency_key, attempts, cancel_requested`

func scanOperation(r rowScanner) (*meshops.Operation, error) {
	var (
		op                meshops.Operation
		params            string
		status            string
		created           int64
		started, finished sql.NullInt64
		result, idem      sql.NullString
		code              int
	)
	err := r.Scan(&op.ID, &op.OwnerKeyID, &op.Type, &op.FileID, &params, &status, &op.Progress, &created, &started, &finished,
		&result, &code, &op.ErrorMessage, &op.CallbackURL, &idem, &op.Attempts, &op.CancelRequested)
	if err != nil {
		return nil, err
	}
	op.Params, op.Status, op.CreatedAt = []byte(params), meshops.OperationStatus(status), fromNanos(created)
	op.StartedAt, op.FinishedAt, op.ErrorCode, op.IdempotencyKey = timePtr(started), timePtr(finished), meshops.Code(code), idem.String
	if result.Valid {
		op.Result = []byte(result.String)
	}
	return &op, nil
}

func opArgs(op *meshops.Operation) []any {
	var result sql.NullString
	if op.Result != nil {
		result = sql.NullString{String: string(op.Result), Valid: true}
	}
	return []any{op.ID, op.OwnerKeyID, op.Type, op.FileID, string(op.Params), string(op.Status), op.Progress, nanos(op.CreatedAt),
		nullNanos(op.StartedAt), nullNanos(op.FinishedAt), result, int(op.ErrorCode), op.ErrorMessage, op.CallbackURL,
		sql.NullString{String: op.IdempotencyKey, Valid: op.IdempotencyKey != ""}, op.Attempts, op.CancelRequested}
}

// CreateOperation inserts op and runs enqueue in the same transaction.
func (s *Store) CreateOperation(ctx context.Context, op *meshops.Operation, enqueue func(ctx context.Context, tx any) error) (*meshops.Operation, error) {
	err := s.tx(ctx, func(tx *sql.Tx) error {
		if op.IdempotencyKey != "" {
			existing, err := scanOperation(tx.QueryRowContext(ctx, `SELECT `+opColumns+` FROM operations WHERE owner_key_id = ? AND idempotency_key = ?`, op.OwnerKeyID, op.IdempotencyKey))
			if err == nil {
				op = existing
				return meshops.ErrExists
			}
			if !errors.Is(err, sql.ErrNoRows) {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO operations (`+opColumns+`) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`, opArgs(op)...); err != nil {
			return err
		}
		if enqueue != nil {
			return enqueue(ctx, tx)
		}
		return nil
	})
	if errors.Is(err, meshops.ErrExists) {
		return op, fmt.Errorf("idempotency key %q: %w", op.IdempotencyKey, meshops.ErrExists)
	}
	if err != nil {
		return nil, err
	}
	return op, nil
}

// GetOperation returns the operation; ErrNotFound if there is none.
func (s *Store) GetOperation(ctx context.Context, id string) (*meshops.Operation, error) {
	op, err := scanOperation(s.getOperation.QueryRowContext(ctx, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("operation %s: %w", id, meshops.ErrNotFound)
	}
	return op, err
}

// OperationByIdempotencyKey finds owner's operation made with key.
func (s *Store) OperationByIdempotencyKey(ctx context.Context, owner, key string) (*meshops.Operation, error) {
	op, err := scanOperation(s.db.QueryRowContext(ctx, `SELECT `+opColumns+` FROM operations WHERE owner_key_id = ? AND idempotency_key = ?`, owner, key))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("idempotency key %q: %w", key, meshops.ErrNotFound)
	}
	return op, err
}

// ListOperations pages through owner's operations, newest first.
func (s *Store) ListOperations(ctx context.Context, owner string, f meshops.OperationFilter, p meshops.Page) ([]*meshops.Operation, string, error) {
	after, afterID, err := decodeCursor(p.Cursor)
	if err != nil {
		return nil, "", err
	}
	where := []string{"owner_key_id = ?"}
	args := []any{owner}
	if f.Status != "" {
		where, args = append(where, "status = ?"), append(args, string(f.Status))
	}
	if f.Type != "" {
		where, args = append(where, "type = ?"), append(args, f.Type)
	}
	if f.FileID != "" {
		where, args = append(where, "file_id = ?"), append(args, f.FileID)
	}
	if p.Cursor != "" {
		where, args = append(where, "(created_at < ? OR (created_at = ? AND id < ?))"), append(args, after, after, afterID)
	}
	args = append(args, p.Limit+1)
	rows, err := s.db.QueryContext(ctx, `SELECT `+opColumns+` FROM operations WHERE `+strings.Join(where, " AND ")+
		` ORDER BY created_at DESC, id DESC LIMIT ?`, args...)
	if err != nil {
		return nil, "", err
	}
	defer rows.Close()
	var out []*meshops.Operation
	for rows.Next() {
		op, err := scanOperation(rows)
		if err != nil {
			return nil, "", err
		}
		out = append(out, op)
	}
	if err := rows.Err(); err != nil {
		return nil, "", err
	}
	out, next := trimPage(out, p.Limit, func(o *meshops.Operation) (time.Time, string) { return o.CreatedAt, o.ID })
	return out, next, nil
}

// UpdateOperation is a read-modify-write of one row in a transaction.
func (s *Store) UpdateOperation(ctx context.Context, id string, fn func(op *meshops.Operation) error) (*meshops.Operation, error) {
	var op *meshops.Operation
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var err error
		op, err = scanOperation(tx.QueryRowContext(ctx, `SELECT `+opColumns+` FROM operations WHERE id = ?`, id))
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("operation %s: %w", id, meshops.ErrNotFound)
		}
		if err != nil {
			return err
		}
		if err := fn(op); err != nil {
			return err
		}
		a := opArgs(op)
		_, err = tx.ExecContext(ctx, `UPDATE operations SET status = ?, progress = ?, started_at = ?, finished_at = ?, result = ?,
			error_code = ?, error_message = ?, attempts = ?, cancel_requested = ? WHERE id = ?`,
			a[5], a[6], a[8], a[9], a[10], a[11], a[12], a[15], a[16], id)
		return err
	})
	if err != nil {
		return nil, err
	}
	return op, nil
}

// CountOperations counts operations in a status.
func (s *Store) CountOperations(ctx context.Context, status meshops.OperationStatus) (int, error) {
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM operations WHERE status = ?`, string(status)).Scan(&n)
	return n, err
}

// OperationsInStatus lists operations in a status, oldest first.
func (s *Store) OperationsInStatus(ctx context.Context, status meshops.OperationStatus, limit int) ([]*meshops.Operation, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+opColumns+` FROM operations WHERE status = ? ORDER BY created_at LIMIT ?`, string(status), limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*meshops.Operation
	for rows.Next() {
		op, err := scanOperation(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, op)
	}
	return out, rows.Err()
}

// ActiveOperationsOnFile counts queued or running operations on a file.
func (s *Store) ActiveOperationsOnFile(ctx context.Context, fileID string) (int, error) {
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM operations WHERE file_id = ? AND status IN ('queued', 'running')`, fileID).Scan(&n)
	return n, err
}

// ActiveOperationsByOwner counts the key's queued or running operations.
func (s *Store) ActiveOperationsByOwner(ctx context.Context, owner string) (int, error) {
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM operations WHERE owner_key_id = ? AND status IN ('queued', 'running')`, owner).Scan(&n)
	return n, err
}
