package api

import (
	"context"
	"log/slog"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/meshops/meshops"
	"github.com/meshops/meshops/operations"
	"github.com/meshops/meshops/upload"
)

// Config holds the HTTP-level settings.
type Config struct {
	// AllowedOrigins lists the browser origins allowed by CORS ("*" allows any).
	AllowedOrigins []string
	// MaxJSONBytes bounds JSON request bodies (64 KiB by default; larger → 13).
	MaxJSONBytes int64

	timeouts Timeouts // set by HTTPServer
}

// Server holds everything the handlers need. Build it in cmd and call Handler.
type Server struct {
	Meta    meshops.MetaStore
	Blobs   meshops.BlobStore
	Uploads *upload.Service
	Engine  *operations.Engine
	Log     *slog.Logger
	Config  Config
	// Ready reports whether the service can take work (for /readyz); nil means
	// a metadata ping decides.
	Ready func(ctx context.Context) error
	// Metrics for GET /metrics; nil gets request metrics only.
	Metrics *Metrics

	rates    rateLimiter
	draining atomic.Bool
}

// Handler builds the router. Every response, errors included, carries
// X-Request-Id and a JSON body; unknown routes and methods answer code 13.
func (s *Server) Handler() http.Handler {
	if s.Config.MaxJSONBytes <= 0 {
		s.Config.MaxJSONBytes = 64 << 10
	}
	if s.Log == nil {
		s.Log = slog.New(slog.DiscardHandler)
	}
	if s.Metrics == nil {
		s.Metrics = NewMetrics(nil)
	}
	r := gin.New()
	r.HandleMethodNotAllowed = true
	r.RedirectTrailingSlash = false
	r.RedirectFixedPath = false
	// Handlers pass c.Request.Context() (never the pooled *gin.Context) to
	// stores: drivers may watch a context from another goroutine.
	r.Use(s.requestID, s.Metrics.observe, s.accessLog, s.recovery, s.cors, s.errors, s.deadlines, s.drain)
	r.NoRoute(func(c *gin.Context) {
		c.Error(meshops.Errorf(meshops.CodeInvalidRequest, "No route %s %s; see /api/v1/openapi.json for the API.", c.Request.Method, c.Request.URL.Path).WithStatus(http.StatusNotFound))
	})
	r.NoMethod(func(c *gin.Context) {
		c.Error(meshops.Errorf(meshops.CodeInvalidRequest, "Method %s is not allowed on %s; allowed: %s.", c.Request.Method, c.Request.URL.Path, c.Writer.Header().Get("Allow")).WithStatus(http.StatusMethodNotAllowed))
	})

	r.GET("/healthz", func(c *gin.Context) { c.PureJSON(http.StatusOK, gin.H{"status": "ok"}) })
	r.GET("/readyz", s.readyz)
	r.GET("/metrics", s.Metrics.handler())
	r.GET("/api/v1/openapi.json", serveOpenAPI)

	v1 := r.Group("/api/v1", s.authenticate, s.rateLimit)
	v1.POST("/files", s.uploadFile)
	v1.GET("/files", s.listFiles)
	v1.GET("/files/:id", s.getFile)
	v1.GET("/files/:id/content", s.fileContent)
	v1.HEAD("/files/:id/content", s.fileContent)
	v1.DELETE("/files/:id", s.deleteFile)

	v1.PUT("/uploads/:fileId/chunks/:index", s.putChunk)
	v1.GET("/uploads/:fileId", s.getUpload)
	v1.POST("/uploads/:fileId/commit", s.commitUpload)
	v1.DELETE("/uploads/:fileId", s.abortUpload)

	s.tusRoutes(r, v1)
	if s.Engine != nil {
		s.operationRoutes(v1)
	}

	v1.GET("/keys", s.requireAdmin, s.listKeys)
	return r
}

func (s *Server) readyz(c *gin.Context) {
	ctx, cancel := context.WithTimeout(c.Request.Context(), 2*time.Second)
	defer cancel()
	if s.draining.Load() {
		c.Error(&meshops.Error{Code: meshops.CodeRetryLater, Message: "The service is shutting down.", RetryAfter: 10 * time.Second})
		return
	}
	check := s.Ready
	if check == nil {
		check = s.Meta.Ping
	}
	if err := check(ctx); err != nil {
		s.Log.Warn("not ready", "err", err)
		c.Error(&meshops.Error{Code: meshops.CodeRetryLater, Message: "The service is not ready; retry shortly.", RetryAfter: 5 * time.Second, Err: err})
		return
	}
	c.PureJSON(http.StatusOK, gin.H{"status": "ready"})
}

// listKeys shows the keys (never their secrets) to admin keys.
func (s *Server) listKeys(c *gin.Context) {
	keys, err := s.Meta.ListKeys(c.Request.Context())
	if err != nil {
		c.Error(err)
		return
	}
	items := make([]gin.H, 0, len(keys))
	for _, k := range keys {
		items = append(items, keyJSON(k))
	}
	c.PureJSON(http.StatusOK, gin.H{"items": items})
}

func keyJSON(k *meshops.Key) gin.H {
	h := gin.H{"id": k.ID, "name": k.Name, "prefix": k.Prefix, "admin": k.Admin, "createdAt": k.CreatedAt.Format(time.RFC3339)}
	if k.ExpiresAt != nil {
		h["expiresAt"] = k.ExpiresAt.Format(time.RFC3339)
	}
	if k.RevokedAt != nil {
		h["revokedAt"] = k.RevokedAt.Format(time.RFC3339)
	}
	return h
}
