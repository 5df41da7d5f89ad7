package api

import (
	"context"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/meshops/meshops"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics are the Prometheus series served on GET /metrics. Each Server
// has its own registry (no global state), so tests can run many servers.
type Metrics struct {
	reg        *prometheus.Registry
	requests   *prometheus.CounterVec
	latency    *prometheus.HistogramVec
	uploaded   prometheus.Counter
	operations *prometheus.HistogramVec
}

// NewMetrics registers the service's series and the Go runtime's. queue,
// if set, is asked for the queued and running operation counts at scrape.
func NewMetrics(queue func(ctx context.Context, s meshops.OperationStatus) (int, error)) *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "meshops_http_requests_total", Help: "HTTP requests by method, route and status.",
		}, []string{"method", "route", "status"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "meshops_http_request_duration_seconds", Help: "HTTP request latency by method, route and status.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60},
		}, []string{"method", "route", "status"}),
		uploaded: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "meshops_uploaded_bytes_total", Help: "Bytes received in uploads (files, chunks, tus).",
		}),
		operations: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "meshops_operation_duration_seconds", Help: "Running time of finished operations by type and outcome.",
			Buckets: prometheus.ExponentialBuckets(0.01, 2.5, 12),
		}, []string{"type", "outcome"}),
	}
	m.reg.MustRegister(m.requests, m.latency, m.uploaded, m.operations,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if queue != nil {
		for _, st := range []meshops.OperationStatus{meshops.StatusQueued, meshops.StatusRunning} {
			m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
				Name: "meshops_operations_" + string(st), Help: "Operations " + string(st) + " now (all keys).",
			}, func() float64 {
				ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
				defer cancel()
				n, err := queue(ctx, st)
				if err != nil {
					return -1
				}
				return float64(n)
			}))
		}
	}
	return m
}

// OperationFinished records an operation's running time (operations.Config.OnFinished).
func (m *Metrics) OperationFinished(typ string, status meshops.OperationStatus, ran time.Duration) {
	m.operations.WithLabelValues(typ, string(status)).Observe(ran.Seconds())
}

func (m *Metrics) uploadedBytes(n int64) {
	if m != nil && n > 0 {
		m.uploaded.Add(float64(n))
	}
}

// observe counts each request by its route pattern (never the raw path, so
// ids do not explode the series).
func (m *Metrics) observe(c *gin.Context) {
	start := time.Now()
	c.Next()
	route := c.FullPath()
	if route == "" {
		route = "unmatched"
	}
	status := strconv.Itoa(c.Writer.Status())
	m.requests.WithLabelValues(c.Request.Method, route, status).Inc()
	m.latency.WithLabelValues(c.Request.Method, route, status).Observe(time.Since(start).Seconds())
}

func (m *Metrics) handler() gin.HandlerFunc {
	h := promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
	return func(c *gin.Context) { h.ServeHTTP(c.Writer, c.Request) }
}
