package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"
	"github.com/gin-gonic/gin"
	"github.com/google/uuid"
	"github.com/meshops/meshops"
	"github.com/meshops/meshops/api"
	"github.com/meshops/meshops/operations"
	"github.com/meshops/meshops/store/blobstore"
	"github.com/meshops/meshops/store/sqlite"
	"github.com/meshops/meshops/upload"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	gin.SetMode(gin.ReleaseMode)
	goleak.VerifyTestMain(m)
}

// harness is a real server (real router, SQLite, blobs on disk) on a
// loopback port, with two ordinary keys and one admin key.
type harness struct {
	t          *testing.T
	srv        *httptest.Server
	meta       *sqlite.Store
	blobs      *blobstore.Store
	blobDir    string
	uploads    *upload.Service
	server     *api.Server
	key, other string // two non-admin keys
	admin      string
	clock      *clock
	oaRouter   routers.Router
	engine     *operations.Engine
}

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

type option func(*upload.Config, *api.Server)

// engineOption tunes the harness's operation engine.
type engineOption func(*operations.Config)

func newHarness(t *testing.T, opts ...option) *harness {
	return newHarnessWithEngine(t, nil, opts...)
}

func newHarnessWithEngine(t *testing.T, eng engineOption, opts ...option) *harness {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	meta, err := sqlite.Open(ctx, filepath.Join(dir, "meta.db"))
	if err != nil {
		t.Fatal(err)
	}
	blobDir := filepath.Join(dir, "blobs")
	blobs, err := blobstore.Open(ctx, "file://"+blobDir)
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{t: t, meta: meta, blobs: blobs, blobDir: blobDir, clock: &clock{t: time.Now()}}
	cfg := upload.Config{}
	h.server = &api.Server{Meta: meta, Blobs: blobs, Config: api.Config{AllowedOrigins: []string{"https://app.example"}}}
	for _, o := range opts {
		o(&cfg, h.server)
	}
	h.uploads = upload.New(meta, blobs, cfg, nil, h.clock.now)
	h.server.Uploads = h.uploads
	ecfg := operations.Config{Workers: 2, Embedded: true, WebhookSecret: []byte("test-secret"), PollInterval: 20 * time.Millisecond}
	if eng != nil {
		eng(&ecfg)
	}
	engine, err := operations.NewEngine(ctx, meta.DB(), operations.Default().With(operations.TestSpecs()...), meta, blobs, h.uploads, ecfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := engine.Start(ctx); err != nil {
		t.Fatal(err)
	}
	h.engine = engine
	h.server.Engine = engine
	h.srv = httptest.NewServer(h.server.Handler())
	t.Cleanup(func() {
		h.srv.CloseClientConnections()
		h.srv.Close()
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		engine.Stop(sctx)
		cancel()
		blobs.Close()
		meta.Close()
	})
	h.key = h.newKey("alice", false)
	h.other = h.newKey("bob", false)
	h.admin = h.newKey("root", true)

	doc := loadOpenAPI(t)
	doc.Servers = nil // match any host
	if err := doc.Validate(ctx); err != nil {
		t.Fatalf("openapi.yaml is invalid: %v", err)
	}
	h.oaRouter, err = legacy.NewRouter(doc)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func (h *harness) newKey(name string, admin bool) string {
	secret := "mk_test_" + name + "_" + uuid.NewString()
	err := h.meta.CreateKey(context.Background(), &meshops.Key{ID: uuid.NewString(), Name: name, Hash: api.HashKey(secret), Prefix: secret[:10], Admin: admin, CreatedAt: time.Now()})
	if err != nil {
		h.t.Fatal(err)
	}
	return secret
}

type response struct {
	status int
	header http.Header
	body   []byte
}

// errorCode returns the catalogue code of an error body (0 if none).
func (r *response) errorCode() int {
	var e struct {
		Error struct {
			Code int `json:"code"`
		} `json:"error"`
	}
	json.Unmarshal(r.body, &e)
	return e.Error.Code
}

func (r *response) errorBody() (code int, message, param string) {
	var e struct {
		Error struct {
			Code      int    `json:"code"`
			Message   string `json:"message"`
			Parameter string `json:"parameter"`
		} `json:"error"`
	}
	json.Unmarshal(r.body, &e)
	return e.Error.Code, e.Error.Message, e.Error.Parameter
}

func (r *response) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("response is not JSON: %v: %s", err, r.body)
	}
	return m
}

// req describes a request; key "" sends none.
type req struct {
	method, path string
	key          string
	body         io.Reader
	header       map[string]string
	contentLen   int64 // -1: unknown (chunked transfer)
}

// do sends the request and validates the response against openapi.yaml.
func (h *harness) do(r req) *response {
	h.t.Helper()
	hr, err := http.NewRequest(r.method, h.srv.URL+r.path, r.body)
	if err != nil {
		h.t.Fatal(err)
	}
	if r.key != "" {
		hr.Header.Set("Authorization", "Bearer "+r.key)
	}
	for k, v := range r.header {
		hr.Header.Set(k, v)
	}
	if r.contentLen != 0 {
		hr.ContentLength = r.contentLen
	}
	res, err := http.DefaultClient.Do(hr)
	if err != nil {
		h.t.Fatal(err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		h.t.Fatal(err)
	}
	out := &response{status: res.StatusCode, header: res.Header, body: body}
	if res.Header.Get("X-Request-Id") == "" {
		h.t.Errorf("%s %s: no X-Request-Id", r.method, r.path)
	}
	if res.StatusCode >= 400 && !strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") && r.method != http.MethodHead && res.StatusCode != http.StatusRequestedRangeNotSatisfiable {
		h.t.Errorf("%s %s: error %d is not JSON: %q", r.method, r.path, res.StatusCode, body)
	}
	h.validate(hr, out)
	return out
}

// validate checks the response against the OpenAPI document when the
// route is documented (unknown routes are expected to be absent from it).
func (h *harness) validate(hr *http.Request, r *response) {
	h.t.Helper()
	route, params, err := h.oaRouter.FindRoute(hr)
	if err != nil {
		return
	}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: hr, PathParams: params, Route: route},
		Status:                 r.status,
		Header:                 r.header,
		Options:                &openapi3filter.Options{IncludeResponseStatus: true},
	}
	if !strings.HasPrefix(r.header.Get("Content-Type"), "application/json") {
		in.Options.ExcludeResponseBody = true
	}
	in.SetBodyBytes(r.body)
	if err := openapi3filter.ValidateResponse(context.Background(), in); err != nil {
		h.t.Errorf("%s %s → %d does not match openapi.yaml: %v\nbody: %.300s", hr.Method, hr.URL.Path, r.status, err, r.body)
	}
}

// upload sends a raw-body single upload.
func (h *harness) upload(key, query string, data []byte) *response {
	h.t.Helper()
	return h.do(req{method: "POST", path: "/api/v1/files" + query, key: key, body: bytes.NewReader(data),
		header: map[string]string{"Content-Type": "application/octet-stream"}})
}

func (h *harness) putChunk(key, id string, index int, data []byte, hdr map[string]string) *response {
	h.t.Helper()
	return h.do(req{method: "PUT", path: "/api/v1/uploads/" + id + "/chunks/" + itoa(index), key: key, body: bytes.NewReader(data), header: hdr})
}

func (h *harness) commit(key, id, body string) *response {
	h.t.Helper()
	return h.do(req{method: "POST", path: "/api/v1/uploads/" + id + "/commit", key: key, body: strings.NewReader(body),
		header: map[string]string{"Content-Type": "application/json"}})
}

func itoa(i int) string { return strconv.Itoa(i) }

// expect fails the test unless r has the status and catalogue code.
func expect(t *testing.T, what string, r *response, status, code int) {
	t.Helper()
	if r.status != status || r.errorCode() != code {
		t.Errorf("%s: got %d code %d, want %d code %d; body %.300s", what, r.status, r.errorCode(), status, code, r.body)
	}
}

func jsonUnmarshal(s string, v any) { json.Unmarshal([]byte(s), v) }
