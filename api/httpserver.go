package api

import (
	"errors"
	"io"
	"log/slog"
	"net/http"
	"os"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/meshops/meshops"
)

// Timeouts protect the server from slow or idle clients (slowloris).
type Timeouts struct {
	ReadHeader time.Duration // to receive the request line and headers (10 s)
	BodyIdle   time.Duration // a request body that sends nothing this long is cut off (30 s)
	WriteIdle  time.Duration // a response the client does not read for this long is cut off (2 min; above the longest long-poll)
	Idle       time.Duration // keep-alive connections with no request (2 min)
}

func (t Timeouts) withDefaults() Timeouts {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&t.ReadHeader, 10*time.Second)
	def(&t.BodyIdle, 30*time.Second)
	def(&t.WriteIdle, 2*time.Minute)
	def(&t.Idle, 2*time.Minute)
	return t
}

// HTTPServer returns an http.Server for the handler with the timeouts set.
// Bodies and responses get idle deadlines rather than total ones, so a
// 512 MiB upload or download on a slow but live link still completes.
func (s *Server) HTTPServer(t Timeouts) *http.Server {
	t = t.withDefaults()
	s.Config.timeouts = t
	return &http.Server{
		Handler:           s.Handler(),
		ReadHeaderTimeout: t.ReadHeader,
		IdleTimeout:       t.Idle,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(s.Log.Handler(), slog.LevelWarn),
	}
}

// deadlines keeps pushing the connection's read and write deadlines while
// data moves, so only a stalled client hits them.
func (s *Server) deadlines(c *gin.Context) {
	t := s.Config.timeouts
	if t.BodyIdle <= 0 { // not served through HTTPServer (tests using httptest)
		c.Next()
		return
	}
	rc := http.NewResponseController(c.Writer)
	if c.Request.Body != nil && c.Request.Body != http.NoBody {
		if rc.SetReadDeadline(time.Now().Add(t.BodyIdle)) == nil {
			c.Request.Body = &idleBody{ReadCloser: c.Request.Body, rc: rc, idle: t.BodyIdle}
		}
	}
	if rc.SetWriteDeadline(time.Now().Add(t.WriteIdle)) == nil {
		c.Writer = &idleWriter{ResponseWriter: c.Writer, rc: rc, idle: t.WriteIdle}
	}
	c.Next()
}

type idleBody struct {
	io.ReadCloser
	rc   *http.ResponseController
	idle time.Duration
}

func (b *idleBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if n > 0 {
		b.rc.SetReadDeadline(time.Now().Add(b.idle))
	}
	if err != nil && errors.Is(err, os.ErrDeadlineExceeded) {
		return n, (&meshops.Error{Code: meshops.CodeInvalidRequest, Param: "body", Err: err,
			Message: "The request body stopped arriving for " + b.idle.String() + "; nothing was stored. Retry the upload (chunked or tus uploads resume)."}).WithStatus(http.StatusRequestTimeout)
	}
	return n, err
}

type idleWriter struct {
	gin.ResponseWriter
	rc   *http.ResponseController
	idle time.Duration
}

func (w *idleWriter) Write(p []byte) (int, error) {
	w.rc.SetWriteDeadline(time.Now().Add(w.idle))
	return w.ResponseWriter.Write(p)
}

func (w *idleWriter) WriteString(s string) (int, error) {
	w.rc.SetWriteDeadline(time.Now().Add(w.idle))
	return w.ResponseWriter.WriteString(s)
}

func (w *idleWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
