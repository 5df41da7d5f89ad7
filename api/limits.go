package api

import (
	"errors"
	"fmt"
	"math"
	"net/http"
	"sync"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/meshops/meshops"
	"github.com/meshops/meshops/operations"
)

// rateLimiter is a token bucket per key, refilled at the key's rate with a
// burst of one second's worth (at least 1). It lives in the process: with
// several API processes each allows the rate.
type rateLimiter struct {
	mu      sync.Mutex
	buckets map[string]*bucket
}

type bucket struct {
	tokens float64
	last   time.Time
}

// take spends one token for key at rate per second, or says how long until
// one is available.
func (l *rateLimiter) take(key string, rate float64, now time.Time) (ok bool, wait time.Duration) {
	burst := math.Max(1, rate)
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.buckets == nil {
		l.buckets = map[string]*bucket{}
	}
	b := l.buckets[key]
	if b == nil {
		if len(l.buckets) >= 100_000 { // forget idle keys rather than grow without bound
			clear(l.buckets)
		}
		b = &bucket{tokens: burst, last: now}
		l.buckets[key] = b
	}
	b.tokens = math.Min(burst, b.tokens+now.Sub(b.last).Seconds()*rate)
	b.last = now
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	return false, time.Duration((1 - b.tokens) / rate * float64(time.Second))
}

// rateLimit answers 429 code 11 with Retry-After when the caller's key is
// over its request rate.
func (s *Server) rateLimit(c *gin.Context) {
	k := callerKey(c)
	if k.Limits.RatePerSecond > 0 {
		if ok, wait := s.rates.take(k.ID, k.Limits.RatePerSecond, time.Now()); !ok {
			c.Error((&meshops.Error{Code: meshops.CodeRetryLater, RetryAfter: wait,
				Message: fmt.Sprintf("This key is limited to %g requests per second; retry after the time in Retry-After.", k.Limits.RatePerSecond)}).WithStatus(http.StatusTooManyRequests))
			c.Abort()
			return
		}
	}
	c.Next()
}

// drain refuses new work while the server shuts down: 503 code 11 with
// Retry-After. Reads (polling, downloads) still work, so clients can watch
// their running operations finish.
func (s *Server) drain(c *gin.Context) {
	if s.draining.Load() {
		switch c.Request.Method {
		case http.MethodGet, http.MethodHead, http.MethodOptions:
		default:
			c.Error(&meshops.Error{Code: meshops.CodeRetryLater, RetryAfter: 10 * time.Second,
				Message: "The service is shutting down and takes no new work; retry shortly."})
			c.Abort()
			return
		}
	}
	c.Next()
}

// Drain makes the server refuse new work (503 code 11) and fail /readyz,
// for a graceful shutdown.
func (s *Server) Drain() { s.draining.Store(true) }

// startUpload counts a new upload against the caller's monthly quota (429
// code 61 when used up). The refund takes it back when the same request then
// fails on a client mistake.
func (s *Server) startUpload(c *gin.Context) (refund func(), err error) {
	return operations.ConsumeQuota(c.Request.Context(), s.Meta, callerKey(c), meshops.QuotaUploads, time.Now())
}

// startChunkedUpload counts the upload on its first chunk only.
func (s *Server) startChunkedUpload(c *gin.Context, fileID string) (refund func(), err error) {
	if _, err := s.Meta.GetUpload(c.Request.Context(), fileID); !errors.Is(err, meshops.ErrNotFound) {
		return func() {}, nil // exists (or will fail with its own error)
	}
	return s.startUpload(c)
}
