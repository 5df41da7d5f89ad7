package meshops

import (
	"context"
	"encoding/json"
	"time"
)

// OperationStatus is where an operation is in its life cycle:
// queued → running → succeeded | failed | canceled.
type OperationStatus string

// The statuses.
const (
	StatusQueued    OperationStatus = "queued"
	StatusRunning   OperationStatus = "running"
	StatusSucceeded OperationStatus = "succeeded"
	StatusFailed    OperationStatus = "failed"
	StatusCanceled  OperationStatus = "canceled"
)

// Finished reports a terminal status.
func (s OperationStatus) Finished() bool {
	return s == StatusSucceeded || s == StatusFailed || s == StatusCanceled
}

// Operation is one requested run of an operation type on a file.
type Operation struct {
	ID              string
	OwnerKeyID      string
	Type            string
	FileID          string
	Params          json.RawMessage // the validated parameters, as the client sent them
	Status          OperationStatus
	Progress        int // 0–100, never decreasing
	CreatedAt       time.Time
	StartedAt       *time.Time
	FinishedAt      *time.Time
	Result          json.RawMessage // set when succeeded
	ErrorCode       Code            // set when failed
	ErrorMessage    string
	CallbackURL     string
	IdempotencyKey  string
	Attempts        int  // how many times a worker started it
	CancelRequested bool // a running operation stops at its next check
}

// OperationFilter narrows a listing; empty fields match everything.
type OperationFilter struct {
	Status OperationStatus
	Type   string
	FileID string
}

// OperationStore keeps operations.
type OperationStore interface {
	// CreateOperation inserts op and, in the same transaction, calls enqueue
	// with the driver's transaction (for SQLite a *sql.Tx) so the job queue
	// entry and the row commit together. ErrExists if op.IdempotencyKey is
	// already used by the owner (the existing operation is then returned).
	CreateOperation(ctx context.Context, op *Operation, enqueue func(ctx context.Context, tx any) error) (*Operation, error)
	GetOperation(ctx context.Context, id string) (*Operation, error)
	// OperationByIdempotencyKey finds owner's operation made with key (ErrNotFound if none).
	OperationByIdempotencyKey(ctx context.Context, ownerKeyID, key string) (*Operation, error)
	ListOperations(ctx context.Context, ownerKeyID string, f OperationFilter, p Page) ([]*Operation, string, error)
	// UpdateOperation applies fn to the current row inside a transaction and
	// stores the result; fn returning an error aborts the change.
	UpdateOperation(ctx context.Context, id string, fn func(op *Operation) error) (*Operation, error)
	// CountOperations counts operations in a status (all owners).
	CountOperations(ctx context.Context, status OperationStatus) (int, error)
	// OperationsInStatus lists up to limit operations in a status, oldest first.
	OperationsInStatus(ctx context.Context, status OperationStatus, limit int) ([]*Operation, error)
	// ActiveOperationsByOwner counts the key's queued or running operations.
	ActiveOperationsByOwner(ctx context.Context, ownerKeyID string) (int, error)
	// ActiveOperationsOnFile counts queued or running operations reading a file.
	ActiveOperationsOnFile(ctx context.Context, fileID string) (int, error)
}
