package operations

import (
	"encoding/json"
	"time"

	"github.com/meshops/meshops"
)

// Resource is the operation resource of API.md as clients see it (GET,
// long-poll, events and webhooks all send this).
type Resource struct {
	ID           string          `json:"id"`
	Type         string          `json:"type"`
	FileID       string          `json:"fileId"`
	Params       json.RawMessage `json:"params"`
	Status       string          `json:"status"`
	Progress     int             `json:"progress"`
	IsCompleted  bool            `json:"isCompleted"`
	IsSuccessful bool            `json:"isSuccessful"`
	CreatedAt    string          `json:"createdAt"`
	StartedAt    *string         `json:"startedAt"`
	FinishedAt   *string         `json:"finishedAt"`
	Result       json.RawMessage `json:"result,omitempty"`
	Error        *ErrorBody      `json:"error,omitempty"`
}

// ErrorBody is a failed operation's error.
type ErrorBody struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
}

func rfc3339(t *time.Time) *string {
	if t == nil {
		return nil
	}
	s := t.UTC().Format(time.RFC3339Nano)
	return &s
}

// NewResource renders op.
func NewResource(op *meshops.Operation) *Resource {
	r := &Resource{
		ID: op.ID, Type: op.Type, FileID: op.FileID, Params: op.Params, Status: string(op.Status), Progress: op.Progress,
		IsCompleted: op.Status.Finished(), IsSuccessful: op.Status == meshops.StatusSucceeded,
		CreatedAt: op.CreatedAt.UTC().Format(time.RFC3339Nano), StartedAt: rfc3339(op.StartedAt), FinishedAt: rfc3339(op.FinishedAt),
		Result: op.Result,
	}
	if len(r.Params) == 0 {
		r.Params = json.RawMessage("{}")
	}
	if op.Status == meshops.StatusFailed || op.Status == meshops.StatusCanceled {
		r.Error = &ErrorBody{Code: int(op.ErrorCode), Message: op.ErrorMessage}
	}
	return r
}
