package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/meshops/meshops/api"
	"github.com/meshops/meshops/internal/hugeheap"
	"github.com/meshops/meshops/operations"
	"github.com/meshops/meshops/upload"
)

type serveFlags struct {
	storeFlags
	addr          string
	maxFileBytes  int64
	maxChunkBytes int64
	uploadTTL     time.Duration
	sweepEvery    time.Duration
	corsOrigins   string
	logLevel      string
	shutdownGrace time.Duration
	workers       int
	opTimeout     time.Duration
	maxQueued     int
	maxTriangles  int
	allowPrivate  bool
	webhookSecret string
	testOps       bool
	maxJSONBytes  int64

	readHeaderTimeout, bodyIdleTimeout, writeIdleTimeout time.Duration
}

func serve(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	var f serveFlags
	fs := flag.NewFlagSet("meshops serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	f.register(fs)
	fs.StringVar(&f.addr, "addr", "127.0.0.1:8080", "address to listen on (port 0 picks a free one)")
	fs.Int64Var(&f.maxFileBytes, "max-file-bytes", 512<<20, "largest accepted file in bytes (code 51)")
	fs.Int64Var(&f.maxChunkBytes, "max-chunk-bytes", 32<<20, "largest accepted chunk in bytes (code 54)")
	fs.DurationVar(&f.uploadTTL, "upload-ttl", 24*time.Hour, "an incomplete chunked upload expires this long after its last chunk")
	fs.DurationVar(&f.sweepEvery, "sweep-interval", 10*time.Minute, "how often expired uploads are swept")
	fs.StringVar(&f.corsOrigins, "cors-origins", "", "comma-separated browser origins allowed by CORS, or * for any")
	fs.StringVar(&f.logLevel, "log-level", "info", "debug, info, warn or error (JSON logs on stderr)")
	fs.DurationVar(&f.shutdownGrace, "shutdown-grace", 30*time.Second, "on SIGTERM, how long in-flight requests and running operations may take to finish")
	fs.IntVar(&f.workers, "workers", 2, "operations run at once")
	fs.DurationVar(&f.opTimeout, "operation-timeout", 10*time.Minute, "an operation running longer fails with code 72")
	fs.IntVar(&f.maxQueued, "max-queued", 1000, "queued operations before new ones get 503 code 11")
	fs.IntVar(&f.maxTriangles, "max-triangles", 5_000_000, "largest model stl-conversion builds (code 201 beyond)")
	fs.BoolVar(&f.allowPrivate, "allow-private-callbacks", false, "let callbackUrl point to loopback and private addresses")
	fs.StringVar(&f.webhookSecret, "webhook-secret", "", "key for webhook signatures (default: generated once into DATA_DIR/webhook-secret.txt)")
	fs.Int64Var(&f.maxJSONBytes, "max-json-bytes", 64<<10, "largest accepted JSON request body (code 13 beyond)")
	fs.DurationVar(&f.readHeaderTimeout, "read-header-timeout", 10*time.Second, "time a client has to send its request headers")
	fs.DurationVar(&f.bodyIdleTimeout, "body-idle-timeout", 30*time.Second, "a request body that sends nothing for this long is cut off")
	fs.DurationVar(&f.writeIdleTimeout, "write-idle-timeout", 2*time.Minute, "a response the client stops reading for this long is cut off")
	fs.BoolVar(&f.testOps, "enable-test-operations", false, "register the test-sleep and test-panic operation types (for tests)")
	if positional, err := parseFlags(fs, args, getenv); err != nil {
		return err
	} else if len(positional) > 0 {
		return usageError{fmt.Errorf("serve takes no arguments, got %q", positional)}
	}
	if f.maxFileBytes <= 0 || f.maxChunkBytes <= 0 {
		return usageError{errors.New("--max-file-bytes and --max-chunk-bytes must be positive")}
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(f.logLevel)); err != nil {
		return usageError{fmt.Errorf("--log-level %q: %v", f.logLevel, err)}
	}
	log := slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: level}))
	if reserveHeap {
		// Operations on large meshes need hundreds of MB: the first 512
		// MiB come as huge pages (see internal/hugeheap).
		hugeheap.Reserve(512 << 20)
	}

	meta, err := f.openMeta(ctx)
	if err != nil {
		return err
	}
	defer meta.Close()
	blobs, err := f.openBlobs(ctx)
	if err != nil {
		return err
	}
	defer blobs.Close()
	if path, err := bootstrapAdminKey(ctx, meta, f.dataDir); err != nil {
		return fmt.Errorf("creating the admin key: %w", err)
	} else if path != "" {
		fmt.Fprintf(stdout, "Created an admin API key in %s (mode 0600). Use it: export MESHOPS_KEY=$(cat %s)\n", path, path)
	}

	uploads := upload.New(meta, blobs, upload.Config{MaxFileBytes: f.maxFileBytes, MaxChunkBytes: f.maxChunkBytes, UploadTTL: f.uploadTTL}, log, nil)
	secret, err := webhookSecret(f.webhookSecret, f.dataDir)
	if err != nil {
		return err
	}
	metrics := api.NewMetrics(meta.CountOperations)
	reg := operations.Default()
	if f.testOps {
		reg = reg.With(operations.TestSpecs()...)
	}
	engine, err := operations.NewEngine(ctx, meta.DB(), reg, meta, blobs, uploads, operations.Config{
		Workers: f.workers, Timeout: f.opTimeout, MaxQueued: f.maxQueued, MaxTriangles: f.maxTriangles,
		AllowPrivateCallbacks: f.allowPrivate, WebhookSecret: secret, Embedded: true,
		OnFinished: metrics.OperationFinished,
	}, log)
	if err != nil {
		return err
	}
	// Workers run under their own context: SIGTERM cancels ctx, and the
	// running operations must get the grace period (engine.Stop), not stop
	// at once.
	if err := engine.Start(context.WithoutCancel(ctx)); err != nil {
		return fmt.Errorf("starting workers: %w", err)
	}
	gin.SetMode(gin.ReleaseMode)
	srv := &api.Server{Meta: meta, Blobs: blobs, Uploads: uploads, Engine: engine, Log: log, Metrics: metrics,
		Config: api.Config{AllowedOrigins: splitList(f.corsOrigins), MaxJSONBytes: f.maxJSONBytes}}

	ln, err := net.Listen("tcp", f.addr)
	if err != nil {
		return err
	}
	httpSrv := srv.HTTPServer(api.Timeouts{ReadHeader: f.readHeaderTimeout, BodyIdle: f.bodyIdleTimeout, WriteIdle: f.writeIdleTimeout})
	fmt.Fprintf(stdout, "meshops listening on http://%s\n", ln.Addr())

	sweepCtx, stopSweep := context.WithCancel(ctx)
	sweepDone := make(chan struct{})
	go func() {
		defer close(sweepDone)
		sweepLoop(sweepCtx, uploads, f.sweepEvery, log)
	}()
	defer func() { stopSweep(); <-sweepDone }()

	errc := make(chan error, 1)
	go func() { errc <- httpSrv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	// Draining: new work gets 503 code 11 while reads (polls, downloads)
	// still work, so clients can watch their operations finish. Running
	// operations get the grace period, then are canceled and requeued
	// (they run again after a restart); then the listener closes.
	log.Info("shutting down: draining", "grace", f.shutdownGrace.String())
	srv.Drain()
	shutCtx, cancel := context.WithTimeout(context.Background(), f.shutdownGrace)
	defer cancel()
	if err := engine.Stop(shutCtx); err != nil {
		log.Warn("stopping workers", "err", err)
	}
	httpCtx, cancelHTTP := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancelHTTP()
	httpErr := httpSrv.Shutdown(httpCtx)
	if httpErr != nil {
		httpSrv.Close() // long-polls and event streams still open
	}
	<-errc
	log.Info("shut down")
	return nil
}

// webhookSecret returns the configured secret, or one generated once into
// DATA_DIR/webhook-secret.txt (mode 0600) and reused after.
func webhookSecret(configured, dataDir string) ([]byte, error) {
	if configured != "" {
		return []byte(configured), nil
	}
	path := filepath.Join(dataDir, "webhook-secret.txt")
	if b, err := os.ReadFile(path); err == nil {
		return bytes.TrimSpace(b), nil
	}
	secret := newKeySecret()
	if err := os.WriteFile(path, []byte(secret+"\n"), 0o600); err != nil {
		return nil, err
	}
	return []byte(secret), nil
}

func sweepLoop(ctx context.Context, uploads *upload.Service, every time.Duration, log *slog.Logger) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if n, err := uploads.SweepExpired(ctx); err != nil && ctx.Err() == nil {
			log.Warn("sweeping expired uploads", "err", err)
		} else if n > 0 {
			log.Info("swept expired uploads", "count", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
