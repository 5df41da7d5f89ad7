// Package operations is the registry of operation types and the engine
// that runs them. Each type is one file: its parameters with JSON tags, a
// Validate method returning the numbered errors of ERROR_CODES.md, and (for
// the types that have a worker) a Run method. The engine validates before
// queueing, persists the job (River), runs it with progress, timeout and
// cancellation, stores outputs as files and calls webhooks.
package operations
