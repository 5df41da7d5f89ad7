package operations

import (
	"context"
	"time"

	"github.com/meshops/meshops"
)

// TestSpecs are operation types for tests of the engine itself (off unless
// `serve --enable-test-operations`): "test-sleep" works for `seconds`,
// reporting progress and honouring cancellation; "test-panic" panics.
func TestSpecs() []Spec {
	return []Spec{
		{Type: "test-sleep", New: func() Params { return &sleepParams{} }},
		{Type: "test-panic", New: func() Params { return &panicParams{} }},
	}
}

type sleepParams struct {
	Seconds float64 `json:"seconds"`
}

func (p *sleepParams) Validate(*meshops.File) error {
	return inRange(meshops.CodeOperationFailed, "seconds", p.Seconds, 0, 3600, "Seconds")
}

func (p *sleepParams) Run(ctx context.Context, job *Job) (any, error) {
	end := time.Now().Add(time.Duration(p.Seconds * float64(time.Second)))
	for time.Now().Before(end) {
		left := time.Until(end)
		job.Progress(100 * (1 - left.Seconds()/max(p.Seconds, 1e-9)))
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(min(left, 50*time.Millisecond)):
		}
	}
	return map[string]float64{"sleptSeconds": p.Seconds}, nil
}

type panicParams struct{}

func (p *panicParams) Validate(*meshops.File) error { return nil }

func (p *panicParams) Run(context.Context, *Job) (any, error) {
	panic("test-panic: deliberate failure")
}
