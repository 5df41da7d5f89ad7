package operations

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"runtime/debug"
	"sync"
	"time"

	"github.com/meshops/meshops"
	"github.com/meshops/meshops/upload"
	"github.com/riverqueue/river"
)

// operationArgs is the queue job for one operation; the row in the store
// is the source of truth, the job only says "run it".
type operationArgs struct {
	OperationID string `json:"operationId"`
}

func (operationArgs) Kind() string { return "meshops.operation" }

type operationWorker struct {
	river.WorkerDefaults[operationArgs]
	e *Engine
}

func (w *operationWorker) Work(ctx context.Context, job *river.Job[operationArgs]) error {
	return w.e.execute(ctx, job.Args.OperationID)
}

// execute runs one operation to a recorded end. It returns an error only
// when the process is stopping (the job is then retried later).
func (e *Engine) execute(ctx context.Context, id string) error {
	op, err := e.meta.UpdateOperation(ctx, id, func(o *meshops.Operation) error {
		if o.Status != meshops.StatusQueued {
			return errSkip // canceled while queued, or a stale job
		}
		now := time.Now().UTC()
		o.Status, o.StartedAt, o.Progress = meshops.StatusRunning, &now, 0
		o.Attempts++
		return nil
	})
	if errors.Is(err, errSkip) || errors.Is(err, meshops.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	e.notify(id)

	opCtx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	opCtx, cancelTimeout := context.WithTimeoutCause(opCtx, e.cfg.Timeout, errTimedOut)
	defer cancelTimeout()
	e.mu.Lock()
	e.running[id] = cancel
	e.mu.Unlock()
	defer func() {
		e.mu.Lock()
		delete(e.running, id)
		e.mu.Unlock()
	}()

	result, runErr := e.runOperation(opCtx, op, cancel)
	if ctx.Err() != nil && context.Cause(opCtx) != errCanceledByUser {
		// The process is stopping: put the operation back for later.
		_, err := e.meta.UpdateOperation(context.WithoutCancel(ctx), id, func(o *meshops.Operation) error {
			o.Status, o.StartedAt = meshops.StatusQueued, nil
			return nil
		})
		e.notify(id)
		if err != nil {
			return err
		}
		return fmt.Errorf("operation %s interrupted by shutdown: %w", id, ctx.Err())
	}
	e.finish(context.WithoutCancel(ctx), op, result, runErr, context.Cause(opCtx))
	return nil
}

// runOperation builds the job and calls the type's Run, turning a panic
// into an error so that one bad operation cannot take the service down.
func (e *Engine) runOperation(ctx context.Context, op *meshops.Operation, cancel context.CancelCauseFunc) (result any, err error) {
	defer func() {
		if p := recover(); p != nil {
			e.log.Error("operation panicked", "operation", op.ID, "type", op.Type, "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
			err = &meshops.Error{Code: meshops.CodeUnhandled, Message: "The operation failed unexpectedly; it is safe to retry.", Err: fmt.Errorf("panic: %v", p)}
		}
	}()
	spec, ok := e.reg.Lookup(op.Type)
	if !ok {
		return nil, fmt.Errorf("operation type %q is not registered", op.Type)
	}
	params := spec.New()
	if err := json.Unmarshal(op.Params, params); err != nil {
		return nil, fmt.Errorf("stored parameters: %w", err)
	}
	runner, ok := params.(Runner)
	if !ok {
		return nil, meshops.Errorf(meshops.CodeOperationFailed, "Operation type %s has no worker in this version.", op.Type)
	}
	src, err := e.meta.GetFile(ctx, op.FileID)
	if err != nil && !errors.Is(err, meshops.ErrGone) { // a deleted source stays readable while in use
		return nil, meshops.Errorf(meshops.CodeFileNotFound, "The source file %s is gone.", op.FileID)
	}
	job := &Job{
		Op: op, Source: src, MaxTriangles: e.cfg.MaxTriangles,
		Open:   func(ctx context.Context) (meshops.Blob, error) { return e.blobs.Open(ctx, src.BlobKey) },
		Report: e.progressReporter(ctx, op.ID, cancel),
		Store: func(ctx context.Context, out Output) (*meshops.File, error) {
			return storeOutput(ctx, e.uploads, op, out)
		},
	}
	return runner.Run(ctx, job)
}

// storeOutput streams an output through a pipe into the blob store and
// records it as a file owned by the operation's owner.
func storeOutput(ctx context.Context, uploads *upload.Service, op *meshops.Operation, out Output) (*meshops.File, error) {
	pr, pw := io.Pipe()
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		pw.CloseWithError(out.Write(pw))
	}()
	rec, err := uploads.ReceiveAs(ctx, out.Format, pr)
	pr.CloseWithError(errors.New("receiver stopped"))
	wg.Wait()
	if err != nil {
		return nil, fmt.Errorf("storing output %s: %w", out.Name, err)
	}
	return uploads.Create(ctx, rec, upload.Meta{OwnerKeyID: op.OwnerKeyID, Name: out.Name, Units: out.Units, SourceOperationID: op.ID})
}

// progressReporter records progress at most every 200 ms (or each 5 %),
// never decreasing, and checks the stored cancel flag (set by another
// process in the scale-out mode).
func (e *Engine) progressReporter(ctx context.Context, id string, cancel context.CancelCauseFunc) func(float64) {
	var mu sync.Mutex
	last, lastAt := 0, time.Time{}
	return func(pct float64) {
		p := min(max(int(pct), 0), 99) // 100 is for success only
		mu.Lock()
		defer mu.Unlock()
		if p <= last || (p-last < 5 && time.Since(lastAt) < 200*time.Millisecond) {
			return
		}
		last, lastAt = p, time.Now()
		op, err := e.meta.UpdateOperation(context.WithoutCancel(ctx), id, func(o *meshops.Operation) error {
			o.Progress = max(o.Progress, p)
			return nil
		})
		if err == nil && op.CancelRequested {
			cancel(errCanceledByUser)
		}
		e.notify(id)
	}
}

// finish records the outcome and queues the webhook.
func (e *Engine) finish(ctx context.Context, op *meshops.Operation, result any, runErr error, cause error) {
	now := time.Now().UTC()
	var status meshops.OperationStatus
	var code meshops.Code
	var msg string
	var resultJSON json.RawMessage
	switch {
	case runErr == nil:
		b, err := json.Marshal(result)
		if err != nil {
			status, code, msg = meshops.StatusFailed, meshops.CodeUnhandled, "The result could not be recorded; it is safe to retry."
			break
		}
		status, resultJSON = meshops.StatusSucceeded, b
	case cause == errCanceledByUser:
		status, code, msg = meshops.StatusCanceled, meshops.CodeOperationFailed, "Canceled by the client."
	case cause == errTimedOut:
		status, code, msg = meshops.StatusFailed, meshops.CodeTimeout, fmt.Sprintf("Processing timed out after %s; the file may be too big or complex.", e.cfg.Timeout)
	default:
		status = meshops.StatusFailed
		if me, ok := meshops.AsError(runErr); ok && me.Code != meshops.CodeInternal {
			code, msg = me.Code, me.Message
			if me.Code == meshops.CodeUnhandled && me.Err != nil {
				e.log.Error("operation failed", "operation", op.ID, "err", me.Err)
			}
		} else {
			code, msg = meshops.CodeUnhandled, "The operation failed for an unexpected reason; it is safe to retry."
			e.log.Error("operation failed", "operation", op.ID, "type", op.Type, "err", runErr)
		}
	}
	final, err := e.meta.UpdateOperation(ctx, op.ID, func(o *meshops.Operation) error {
		if o.Status.Finished() {
			return errSkip
		}
		o.Status, o.FinishedAt, o.Result, o.ErrorCode, o.ErrorMessage = status, &now, resultJSON, code, msg
		if status == meshops.StatusSucceeded {
			o.Progress = 100
		}
		return nil
	})
	if err != nil {
		if !errors.Is(err, errSkip) {
			e.log.Error("recording an operation's end", "operation", op.ID, "err", err)
		}
		return
	}
	e.notify(op.ID)
	if e.cfg.OnFinished != nil && final.StartedAt != nil {
		e.cfg.OnFinished(final.Type, final.Status, now.Sub(*final.StartedAt))
	}
	e.releaseDeletedSource(ctx, final.FileID)
	if final.CallbackURL != "" {
		if _, err := e.river.Insert(ctx, webhookArgs{OperationID: final.ID}, &river.InsertOpts{MaxAttempts: 8}); err != nil {
			e.log.Error("queueing a webhook", "operation", final.ID, "err", err)
		}
	}
}

// releaseDeletedSource deletes the bytes of a source file that was deleted
// while operations used it, once the last of them ends.
func (e *Engine) releaseDeletedSource(ctx context.Context, fileID string) {
	f, err := e.meta.GetFile(ctx, fileID)
	if !errors.Is(err, meshops.ErrGone) || f == nil {
		return
	}
	if n, err := e.meta.ActiveOperationsOnFile(ctx, fileID); err == nil && n == 0 {
		e.blobs.Delete(ctx, f.BlobKey)
	}
}
