package operations

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/meshops/meshops"
	"github.com/meshops/meshops/upload"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"
)

// Config tunes the engine. Zero values take the defaults noted.
type Config struct {
	Workers      int           // operations run at once (2)
	Timeout      time.Duration // per operation, then failed with 72 (10 min)
	MaxQueued    int           // queued operations before 503 code 11 (1000)
	MaxAttempts  int           // starts interrupted by restarts before failing with 74 (3)
	MaxTriangles int           // largest model a conversion builds (5,000,000; 201)
	// PollInterval is how often workers look for jobs another process
	// queued; jobs queued by this process start at once (50 ms).
	PollInterval time.Duration
	// AllowPrivateCallbacks lets callbackUrl reach loopback and private
	// networks (off: webhooks cannot be aimed at internal services).
	AllowPrivateCallbacks bool
	// WebhookSecret signs webhook bodies (X-Meshops-Signature).
	WebhookSecret []byte
	// Embedded: this process is the only worker, so operations found
	// running at start were interrupted by a crash and are requeued.
	Embedded bool
	// OnFinished, if set, hears of every operation that ran and ended
	// (for metrics): its type, final status and running time.
	OnFinished func(typ string, status meshops.OperationStatus, ran time.Duration)
}

func (c Config) withDefaults() Config {
	if c.Workers <= 0 {
		c.Workers = 2
	}
	if c.Timeout <= 0 {
		c.Timeout = 10 * time.Minute
	}
	if c.MaxQueued <= 0 {
		c.MaxQueued = 1000
	}
	if c.MaxAttempts <= 0 {
		c.MaxAttempts = 3
	}
	if c.MaxTriangles <= 0 {
		c.MaxTriangles = 5_000_000
	}
	if c.PollInterval <= 0 {
		c.PollInterval = 50 * time.Millisecond
	}
	return c
}

// Engine validates, queues and runs operations.
type Engine struct {
	reg     *Registry
	meta    meshops.MetaStore
	blobs   meshops.BlobStore
	uploads *upload.Service
	cfg     Config
	log     *slog.Logger
	river   *river.Client[*sql.Tx]
	hooks   *http.Client

	mu       sync.Mutex
	running  map[string]context.CancelCauseFunc // operation id → cancel
	watchers map[string]map[chan struct{}]struct{}
}

// Causes for an operation's context ending.
var (
	errCanceledByUser = errors.New("canceled by the client")
	errTimedOut       = errors.New("operation timed out")
)

// NewEngine builds an engine whose job queue lives in db (the SQLite
// database of the metadata store; River's tables are migrated into it).
func NewEngine(ctx context.Context, db *sql.DB, reg *Registry, meta meshops.MetaStore, blobs meshops.BlobStore,
	uploads *upload.Service, cfg Config, log *slog.Logger) (*Engine, error) {
	cfg = cfg.withDefaults()
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	e := &Engine{reg: reg, meta: meta, blobs: blobs, uploads: uploads, cfg: cfg, log: log,
		running: map[string]context.CancelCauseFunc{}, watchers: map[string]map[chan struct{}]struct{}{}}
	e.hooks = newWebhookClient(cfg.AllowPrivateCallbacks)
	driver := riversqlite.New(db)
	migrator, err := rivermigrate.New(driver, nil)
	if err != nil {
		return nil, err
	}
	if _, err := migrator.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return nil, fmt.Errorf("migrating the job queue: %w", err)
	}
	workers := river.NewWorkers()
	river.AddWorker(workers, &operationWorker{e: e})
	river.AddWorker(workers, &webhookWorker{e: e})
	e.river, err = river.NewClient(driver, &river.Config{
		Queues:               map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: cfg.Workers}},
		Workers:              workers,
		FetchCooldown:        5 * time.Millisecond,
		FetchPollInterval:    max(cfg.PollInterval, 5*time.Millisecond),
		JobTimeout:           -1, // the engine applies its own timeout to tell 72 from other ends
		RescueStuckJobsAfter: cfg.Timeout + 10*time.Minute,
		MaxAttempts:          10,
		Logger:               log.With("component", "queue"),
	})
	if err != nil {
		return nil, err
	}
	return e, nil
}

// Start recovers from an unclean stop (embedded mode) and starts workers.
func (e *Engine) Start(ctx context.Context) error {
	if e.cfg.Embedded {
		if err := e.recoverInterrupted(ctx); err != nil {
			return err
		}
	}
	return e.river.Start(ctx)
}

// Stop lets running operations finish within ctx's deadline, then cancels
// them (they are requeued and run again after a restart).
func (e *Engine) Stop(ctx context.Context) error {
	err := e.river.Stop(ctx)
	if err != nil {
		cctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		return e.river.StopAndCancel(cctx)
	}
	return nil
}

// recoverInterrupted puts operations left running by a crash back in the
// queue, or fails them with 74 once they were interrupted MaxAttempts times.
func (e *Engine) recoverInterrupted(ctx context.Context) error {
	ops, err := e.meta.OperationsInStatus(ctx, meshops.StatusRunning, 10000)
	if err != nil {
		return err
	}
	for _, op := range ops {
		requeue := op.Attempts < e.cfg.MaxAttempts
		_, err := e.meta.UpdateOperation(ctx, op.ID, func(o *meshops.Operation) error {
			if o.Status != meshops.StatusRunning {
				return errSkip
			}
			if requeue {
				o.Status, o.StartedAt = meshops.StatusQueued, nil
				return nil
			}
			now := time.Now().UTC()
			o.Status, o.FinishedAt = meshops.StatusFailed, &now
			o.ErrorCode, o.ErrorMessage = meshops.CodeUnhandled, fmt.Sprintf("The operation was interrupted %d times by server restarts; it is safe to retry.", o.Attempts)
			return nil
		})
		if errors.Is(err, errSkip) {
			continue
		}
		if err != nil {
			return err
		}
		if requeue {
			if _, err := e.river.Insert(ctx, operationArgs{OperationID: op.ID}, nil); err != nil {
				return err
			}
		}
		e.log.Warn("recovered an interrupted operation", "operation", op.ID, "requeued", requeue, "attempts", op.Attempts)
	}
	return nil
}

var errSkip = errors.New("skip")

// Submitted is what Submit returns.
type Submitted struct {
	Op       *meshops.Operation
	Replayed bool // an earlier request with the same Idempotency-Key
}

// Submit validates a request completely and queues it. Errors are numbered:
// 404/13 unknown type, 13 format, the parameter's own code, 52 file, 50
// format, 503/11 queue full.
func (e *Engine) Submit(ctx context.Context, owner *meshops.Key, typ string, body []byte, idempotencyKey string) (*Submitted, error) {
	req, err := e.reg.Decode(typ, body)
	if err != nil {
		return nil, err
	}
	src, err := e.meta.GetFile(ctx, req.FileID)
	if err != nil || src.OwnerKeyID != owner.ID {
		if err == nil || errors.Is(err, meshops.ErrNotFound) || errors.Is(err, meshops.ErrGone) {
			return nil, meshops.ParamErrorf(meshops.CodeFileNotFound, "fileId", "No file with id %s.", req.FileID)
		}
		return nil, err
	}
	if err := CheckSource(req.Spec, src); err != nil {
		return nil, err
	}
	if err := req.Params.Validate(src); err != nil {
		return nil, err
	}
	if _, ok := req.Params.(Runner); !ok {
		return nil, meshops.Errorf(meshops.CodeInvalidRequest, "Operation type '%s' is not available yet in this version; its parameters are valid.", typ).WithStatus(http.StatusNotFound)
	}
	if req.CallbackURL != "" {
		if err := checkCallbackURL(req.CallbackURL, e.cfg.AllowPrivateCallbacks); err != nil {
			return nil, err
		}
	}
	if len(idempotencyKey) > 255 {
		return nil, meshops.InvalidParam("Idempotency-Key", "At most 255 characters.")
	}
	if idempotencyKey != "" { // a retry is answered even when the queue is full
		if op, err := e.meta.OperationByIdempotencyKey(ctx, owner.ID, idempotencyKey); err == nil {
			return &Submitted{Op: op, Replayed: true}, nil
		}
	}
	queued, err := e.meta.CountOperations(ctx, meshops.StatusQueued)
	if err != nil {
		return nil, err
	}
	if queued >= e.cfg.MaxQueued {
		return nil, &meshops.Error{Code: meshops.CodeRetryLater, Message: fmt.Sprintf("The work queue is full (%d operations waiting); retry shortly.", queued), RetryAfter: 5 * time.Second}
	}
	refund, err := e.admit(ctx, owner)
	if err != nil {
		return nil, err
	}
	op := &meshops.Operation{
		ID: uuid.NewString(), OwnerKeyID: owner.ID, Type: typ, FileID: src.ID, Params: req.RawParams,
		Status: meshops.StatusQueued, CreatedAt: time.Now().UTC(), CallbackURL: req.CallbackURL, IdempotencyKey: idempotencyKey,
	}
	created, err := e.meta.CreateOperation(ctx, op, func(ctx context.Context, tx any) error {
		_, err := e.river.InsertTx(ctx, tx.(*sql.Tx), operationArgs{OperationID: op.ID}, nil)
		return err
	})
	if err != nil {
		refund()
	}
	if errors.Is(err, meshops.ErrExists) {
		return &Submitted{Op: created, Replayed: true}, nil
	}
	if err != nil {
		return nil, err
	}
	return &Submitted{Op: created}, nil
}

// admit applies the key's limits to a new operation: at most MaxConcurrent
// queued or running (429 code 11), and the monthly quota (429 code 61). The
// returned refund takes the quota use back if the operation is not created.
func (e *Engine) admit(ctx context.Context, owner *meshops.Key) (refund func(), err error) {
	lim := owner.Limits
	if lim.MaxConcurrent > 0 {
		n, err := e.meta.ActiveOperationsByOwner(ctx, owner.ID)
		if err != nil {
			return nil, err
		}
		if n >= lim.MaxConcurrent {
			return nil, (&meshops.Error{Code: meshops.CodeRetryLater, RetryAfter: 5 * time.Second,
				Message: fmt.Sprintf("This key may have %d operations queued or running at once; retry when one finishes.", lim.MaxConcurrent)}).WithStatus(http.StatusTooManyRequests)
		}
	}
	return ConsumeQuota(ctx, e.meta, owner, meshops.QuotaOperations, time.Now())
}

// ConsumeQuota counts one use of the key's monthly quota q (counted even
// without a limit, so `meshops keys list` shows usage), or answers 429
// code 61 with Retry-After to the period's reset. The returned refund takes
// the use back (for work that is then not accepted).
func ConsumeQuota(ctx context.Context, ks meshops.KeyStore, k *meshops.Key, q meshops.Quota, now time.Time) (refund func(), err error) {
	limit := k.Limits.MaxOperationsPerMonth
	if q == meshops.QuotaUploads {
		limit = k.Limits.MaxUploadsPerMonth
	}
	period, resets := meshops.QuotaPeriod(now)
	if _, ok, err := ks.ConsumeQuota(ctx, k.ID, period, q, limit); err != nil {
		return nil, err
	} else if !ok {
		return nil, &meshops.Error{Code: meshops.CodeQuotaExceeded, RetryAfter: resets.Sub(now),
			Message: fmt.Sprintf("This key's quota of %d %s for %s is used up; it resets at %s.", limit, q, period, resets.Format(time.RFC3339))}
	}
	return func() {
		// The request's context may be gone; the refund must still happen.
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		ks.RefundQuota(ctx, k.ID, period, q)
	}, nil
}

// Get returns owner's operation (71 if unknown or another key's).
func (e *Engine) Get(ctx context.Context, owner *meshops.Key, id string) (*meshops.Operation, error) {
	op, err := e.meta.GetOperation(ctx, id)
	if errors.Is(err, meshops.ErrNotFound) || (err == nil && op.OwnerKeyID != owner.ID) {
		return nil, meshops.ParamErrorf(meshops.CodeOperationNotFound, "id", "No operation with id %s.", id)
	}
	return op, err
}

// List pages through owner's operations.
func (e *Engine) List(ctx context.Context, owner *meshops.Key, f meshops.OperationFilter, p meshops.Page) ([]*meshops.Operation, string, error) {
	return e.meta.ListOperations(ctx, owner.ID, f, p)
}

// Wait returns the operation once it finishes or d passes (long-poll).
func (e *Engine) Wait(ctx context.Context, owner *meshops.Key, id string, d time.Duration) (*meshops.Operation, error) {
	deadline := time.NewTimer(d)
	defer deadline.Stop()
	for {
		ch, stop := e.watch(id)
		op, err := e.Get(ctx, owner, id)
		if err != nil || op.Status.Finished() || d <= 0 {
			stop()
			return op, err
		}
		select {
		case <-ch:
		case <-time.After(time.Second): // another process may have changed it
		case <-deadline.C:
			stop()
			return e.Get(ctx, owner, id)
		case <-ctx.Done():
			stop()
			return nil, ctx.Err()
		}
		stop()
	}
}

// Watch returns a channel closed at the operation's next change.
func (e *Engine) Watch(id string) (<-chan struct{}, func()) { return e.watch(id) }

func (e *Engine) watch(id string) (chan struct{}, func()) {
	ch := make(chan struct{})
	e.mu.Lock()
	if e.watchers[id] == nil {
		e.watchers[id] = map[chan struct{}]struct{}{}
	}
	e.watchers[id][ch] = struct{}{}
	e.mu.Unlock()
	return ch, func() {
		e.mu.Lock()
		if _, ok := e.watchers[id][ch]; ok {
			delete(e.watchers[id], ch)
			if len(e.watchers[id]) == 0 {
				delete(e.watchers, id)
			}
		}
		e.mu.Unlock()
	}
}

func (e *Engine) notify(id string) {
	e.mu.Lock()
	for ch := range e.watchers[id] {
		close(ch)
	}
	delete(e.watchers, id)
	e.mu.Unlock()
}

// Cancel stops an operation: a queued one never runs, a running one stops
// at its next check (immediately in this process). A finished one → 409/70.
func (e *Engine) Cancel(ctx context.Context, owner *meshops.Key, id string) (*meshops.Operation, error) {
	if _, err := e.Get(ctx, owner, id); err != nil {
		return nil, err
	}
	op, err := e.meta.UpdateOperation(ctx, id, func(o *meshops.Operation) error {
		switch o.Status {
		case meshops.StatusQueued:
			now := time.Now().UTC()
			o.Status, o.FinishedAt = meshops.StatusCanceled, &now
			o.ErrorCode, o.ErrorMessage = meshops.CodeOperationFailed, "Canceled by the client before it started."
		case meshops.StatusRunning:
			o.CancelRequested = true
		default:
			return meshops.Errorf(meshops.CodeOperationFailed, "Operation %s has already finished (%s); there is nothing to cancel.", o.ID, o.Status).WithStatus(http.StatusConflict)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	e.mu.Lock()
	if cancel := e.running[id]; cancel != nil {
		cancel(errCanceledByUser)
	}
	e.mu.Unlock()
	e.notify(id)
	return op, nil
}

// Registry returns the engine's registry.
func (e *Engine) Registry() *Registry { return e.reg }
