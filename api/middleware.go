package api

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"
	"github.com/meshops/meshops"
)

const (
	ctxRequestID = "meshops.requestId"
	ctxKey       = "meshops.key"
)

// saneRequestID reports whether a client's X-Request-Id is 1–128 of
// [A-Za-z0-9._:-]. (A loop, not a regexp: the {1,128} repetition compiles
// to 128 copies at start-up, 1.5 ms of every process's start.)
func saneRequestID(id string) bool {
	if len(id) == 0 || len(id) > 128 {
		return false
	}
	for i := range len(id) {
		c := id[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '_' || c == ':' || c == '-') {
			return false
		}
	}
	return true
}

// requestID echoes a sane client X-Request-Id or makes a new one.
func (s *Server) requestID(c *gin.Context) {
	id := c.GetHeader("X-Request-Id")
	if !saneRequestID(id) {
		id = uuid.NewString()
	}
	c.Set(ctxRequestID, id)
	c.Header("X-Request-Id", id)
	c.Next()
}

// accessLog writes one structured line per request: never the key itself,
// only its name.
func (s *Server) accessLog(c *gin.Context) {
	start := time.Now()
	c.Next()
	attrs := []any{
		"requestId", c.GetString(ctxRequestID), "method", c.Request.Method, "route", c.FullPath(),
		"path", c.Request.URL.Path, "status", c.Writer.Status(), "durationMs", float64(time.Since(start).Microseconds()) / 1000,
		"bytesOut", max(c.Writer.Size(), 0),
	}
	if k, ok := c.Get(ctxKey); ok {
		attrs = append(attrs, "key", k.(*meshops.Key).Name)
	}
	s.Log.Info("request", attrs...)
}

// recovery turns a panic into code 10 without leaking anything about it.
func (s *Server) recovery(c *gin.Context) {
	defer func() {
		if p := recover(); p != nil {
			if p == http.ErrAbortHandler {
				panic(p)
			}
			s.Log.Error("panic in handler", "requestId", c.GetString(ctxRequestID), "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
			if !c.Writer.Written() {
				writeError(c, &meshops.Error{Code: meshops.CodeInternal, Message: "Internal error; it has been logged. Quote the request id when reporting it."})
			}
			c.Abort()
		}
	}()
	c.Next()
}

// errors is the one place where errors become responses.
func (s *Server) errors(c *gin.Context) {
	c.Next()
	if len(c.Errors) == 0 || c.Writer.Written() {
		return
	}
	err := c.Errors.Last().Err
	me, ok := meshops.AsError(err)
	switch {
	case ok:
	case errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded):
		me = &meshops.Error{Code: meshops.CodeRetryLater, Message: "The request was interrupted; retry it.", RetryAfter: time.Second, Err: err}
	default:
		me = &meshops.Error{Code: meshops.CodeInternal, Message: "Internal error; it has been logged. Quote the request id when reporting it.", Err: err}
	}
	if me.Code == meshops.CodeInternal {
		s.Log.Error("internal error", "requestId", c.GetString(ctxRequestID), "route", c.FullPath(), "err", me.Error())
	}
	writeError(c, me)
}

func writeError(c *gin.Context, e *meshops.Error) {
	status := e.HTTPStatus()
	if e.RetryAfter > 0 || status == http.StatusTooManyRequests || status == http.StatusServiceUnavailable {
		secs := int((e.RetryAfter + time.Second - 1) / time.Second)
		c.Header("Retry-After", strconv.Itoa(max(secs, 1)))
	}
	if status == http.StatusUnauthorized {
		c.Header("WWW-Authenticate", `Bearer realm="meshops"`)
	}
	body := gin.H{"code": int(e.Code), "message": e.Message, "requestId": c.GetString(ctxRequestID)}
	if e.Param != "" {
		body["parameter"] = e.Param
	}
	c.Abort()
	c.PureJSON(status, gin.H{"error": body})
}

var (
	corsExposed = strings.Join([]string{"Location", "Retry-After", "X-Request-Id", "ETag", "Content-Disposition", "Content-Range",
		"Upload-Offset", "Upload-Length", "Upload-Expires", "Tus-Resumable", "Tus-Version", "Tus-Extension", "Tus-Max-Size"}, ", ")
	corsAllowed = strings.Join([]string{"Authorization", "X-API-Key", "Content-Type", "Content-MD5", "X-Chunk-Sha256", "X-Request-Id",
		"Idempotency-Key", "If-None-Match", "Range", "Upload-Offset", "Upload-Length", "Upload-Metadata", "Upload-Checksum", "Tus-Resumable"}, ", ")
)

// cors answers preflights and marks responses readable by allowed origins.
func (s *Server) cors(c *gin.Context) {
	origin := c.GetHeader("Origin")
	if origin == "" {
		c.Next()
		return
	}
	allowAny := slices.Contains(s.Config.AllowedOrigins, "*")
	if !allowAny && !slices.Contains(s.Config.AllowedOrigins, origin) {
		c.Next() // no CORS headers: the browser blocks the response
		return
	}
	h := c.Writer.Header()
	h.Add("Vary", "Origin")
	h.Set("Access-Control-Allow-Origin", origin)
	h.Set("Access-Control-Expose-Headers", corsExposed)
	if c.Request.Method == http.MethodOptions && c.GetHeader("Access-Control-Request-Method") != "" {
		h.Set("Access-Control-Allow-Methods", "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS")
		h.Set("Access-Control-Allow-Headers", corsAllowed)
		h.Set("Access-Control-Max-Age", "600")
		c.AbortWithStatus(http.StatusNoContent)
		return
	}
	c.Next()
}

// authenticate finds the caller's key from Authorization: Bearer or X-API-Key.
func (s *Server) authenticate(c *gin.Context) {
	secret := c.GetHeader("X-API-Key")
	if auth := c.GetHeader("Authorization"); auth != "" {
		scheme, token, ok := strings.Cut(auth, " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") {
			c.Error(meshops.Errorf(meshops.CodeAccessDenied, "The Authorization header must be 'Bearer <api key>'."))
			c.Abort()
			return
		}
		secret = strings.TrimSpace(token)
	}
	if secret == "" {
		c.Error(meshops.Errorf(meshops.CodeAccessDenied, "An API key is required: send 'Authorization: Bearer <api key>' or 'X-API-Key: <api key>'."))
		c.Abort()
		return
	}
	k, err := s.Meta.KeyByHash(c.Request.Context(), HashKey(secret))
	switch {
	case errors.Is(err, meshops.ErrNotFound):
		c.Error(meshops.Errorf(meshops.CodeAccessDenied, "The API key is not valid."))
	case err != nil:
		c.Error(err)
	case k.RevokedAt != nil:
		c.Error(meshops.Errorf(meshops.CodeAccessDenied, "The API key has been revoked."))
	case k.ExpiresAt != nil && time.Now().After(*k.ExpiresAt):
		c.Error(meshops.Errorf(meshops.CodeKeyExpired, "The API key expired at %s.", k.ExpiresAt.Format(time.RFC3339)))
	default:
		c.Set(ctxKey, k)
		c.Next()
		return
	}
	c.Abort()
}

func (s *Server) requireAdmin(c *gin.Context) {
	if !callerKey(c).Admin {
		c.Error(meshops.Errorf(meshops.CodeAccessDenied, "This needs an admin key.").WithStatus(http.StatusForbidden))
		c.Abort()
		return
	}
	c.Next()
}

func callerKey(c *gin.Context) *meshops.Key { return c.MustGet(ctxKey).(*meshops.Key) }

// HashKey is how API key secrets are stored: hex SHA-256. Keys are 256-bit
// random values, so a fast hash is enough (no password stretching needed).
func HashKey(secret string) string {
	h := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(h[:])
}
