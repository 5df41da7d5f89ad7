package api_test

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/meshops/meshops"
	"github.com/meshops/meshops/api"
	"github.com/meshops/meshops/internal/testenv"
	"github.com/meshops/meshops/operations"
)

// newLimitedKey makes a key with limits and returns its secret.
func (h *harness) newLimitedKey(name string, lim meshops.KeyLimits) string {
	h.t.Helper()
	secret := "mk_test_" + name + "_" + uuid.NewString()
	err := h.meta.CreateKey(context.Background(), &meshops.Key{ID: uuid.NewString(), Name: name, Hash: api.HashKey(secret), Prefix: secret[:10], CreatedAt: time.Now(), Limits: lim})
	if err != nil {
		h.t.Fatal(err)
	}
	return secret
}

func retryAfter(t *testing.T, r *response) int {
	t.Helper()
	n, err := strconv.Atoi(r.header.Get("Retry-After"))
	if err != nil || n < 1 {
		t.Fatalf("Retry-After %q on %d %s", r.header.Get("Retry-After"), r.status, r.body)
	}
	return n
}

func TestRateLimit(t *testing.T) {
	h := newHarness(t)
	key := h.newLimitedKey("slow", meshops.KeyLimits{RatePerSecond: 2})
	var limited *response
	for range 5 {
		if r := h.do(req{method: "GET", path: "/api/v1/files", key: key}); r.status == 429 {
			limited = r
			break
		}
	}
	if limited == nil || limited.errorCode() != 11 {
		t.Fatalf("no 429 code 11 after a burst over 2/s: %+v", limited)
	}
	if n := retryAfter(t, limited); n > 1 {
		t.Errorf("Retry-After %d s at 2/s", n)
	}
	// Other keys are not affected, and the bucket refills.
	if r := h.do(req{method: "GET", path: "/api/v1/files", key: h.key}); r.status != 200 {
		t.Errorf("unlimited key: %d", r.status)
	}
	time.Sleep(600 * time.Millisecond)
	if r := h.do(req{method: "GET", path: "/api/v1/files", key: key}); r.status != 200 {
		t.Errorf("after refilling: %d %s", r.status, r.body)
	}
}

func TestQuotas(t *testing.T) {
	h := newHarness(t)
	key := h.newLimitedKey("trial", meshops.KeyLimits{MaxUploadsPerMonth: 2, MaxOperationsPerMonth: 1})
	stl := testenv.BinarySTL("", testenv.Tri)
	file := h.uploadID(key, "", stl)
	// A rejected upload (not a mesh) is given back.
	if r := h.upload(key, "", []byte("not a mesh at all")); r.status/100 != 4 {
		t.Fatalf("bad upload: %d", r.status)
	}
	// A chunked upload counts once however many chunks it has.
	id := uuid.NewString()
	h.putChunk(key, id, 1, stl[50:], nil)
	if r := h.putChunk(key, id, 0, stl[:50], nil); r.status != 200 {
		t.Fatalf("chunk: %d %s", r.status, r.body)
	}
	r := h.upload(key, "", stl)
	if r.status != 429 || r.errorCode() != 61 {
		t.Fatalf("third upload: %d %s", r.status, r.body)
	}
	_, resets := meshops.QuotaPeriod(time.Now())
	if n := retryAfter(t, r); n < int(time.Until(resets).Seconds())-5 || n > int(time.Until(resets).Seconds())+5 {
		t.Errorf("Retry-After %d s, the month resets in %.0f s", n, time.Until(resets).Seconds())
	}
	if _, msg, _ := r.errorBody(); !strings.Contains(msg, "quota of 2 uploads") {
		t.Errorf("message: %s", msg)
	}
	// Committing the started upload is not a new one.
	if r := h.commit(key, id, `{"name":"x.stl"}`); r.status != 201 {
		t.Errorf("commit: %d %s", r.status, r.body)
	}
	// Operations: an invalid one costs nothing, the first valid one counts.
	if r := h.submit(key, "scale", file, `,"factor":-1`, nil); r.status != 400 {
		t.Fatalf("invalid operation: %d", r.status)
	}
	if r := h.submit(key, "analyze", file, "", nil); r.status != 202 {
		t.Fatalf("operation: %d %s", r.status, r.body)
	}
	r = h.submit(key, "analyze", file, "", nil)
	if r.status != 429 || r.errorCode() != 61 {
		t.Fatalf("second operation: %d %s", r.status, r.body)
	}
	retryAfter(t, r)
	// Reads still work; other keys are unaffected.
	if r := h.do(req{method: "GET", path: "/api/v1/files/" + file, key: key}); r.status != 200 {
		t.Errorf("read: %d", r.status)
	}
	if r := h.upload(h.key, "", stl); r.status != 201 {
		t.Errorf("other key: %d", r.status)
	}
	// Raising the limit takes effect on the next request.
	more := int64(3)
	if _, err := h.meta.UpdateKey(context.Background(), "trial", meshops.KeyUpdate{MaxUploads: &more}); err != nil {
		t.Fatal(err)
	}
	if r := h.upload(key, "", stl); r.status != 201 {
		t.Errorf("after raising the quota: %d %s", r.status, r.body)
	}
}

func TestMaxConcurrentOperations(t *testing.T) {
	h := newHarnessWithEngine(t, func(c *operations.Config) { c.Workers = 2 })
	key := h.newLimitedKey("one-at-a-time", meshops.KeyLimits{MaxConcurrent: 1})
	file := h.uploadID(key, "", testenv.BinarySTL("", testenv.Tri))
	first := h.submit(key, "test-sleep", file, `,"seconds":0.5`, nil)
	if first.status != 202 {
		t.Fatalf("first: %d", first.status)
	}
	r := h.submit(key, "test-sleep", file, `,"seconds":0.1`, nil)
	if r.status != 429 || r.errorCode() != 11 {
		t.Fatalf("second while the first runs: %d %s", r.status, r.body)
	}
	retryAfter(t, r)
	h.await(key, first.json(t)["id"].(string))
	if r := h.submit(key, "test-sleep", file, `,"seconds":0.1`, nil); r.status != 202 {
		t.Errorf("after the first finished: %d %s", r.status, r.body)
	}
}

func TestDraining(t *testing.T) {
	h := newHarness(t)
	file := h.uploadID(h.key, "", testenv.BinarySTL("", testenv.Tri))
	h.server.Drain()
	r := h.upload(h.key, "", testenv.BinarySTL("", testenv.Tri))
	if r.status != 503 || r.errorCode() != 11 {
		t.Fatalf("upload while draining: %d %s", r.status, r.body)
	}
	retryAfter(t, r)
	if r := h.submit(h.key, "analyze", file, "", nil); r.status != 503 || r.errorCode() != 11 {
		t.Errorf("operation while draining: %d", r.status)
	}
	if r := h.do(req{method: "GET", path: "/api/v1/files/" + file, key: h.key}); r.status != 200 {
		t.Errorf("reads keep working while draining: %d", r.status)
	}
	if r := h.do(req{method: "GET", path: "/readyz"}); r.status != 503 || r.errorCode() != 11 {
		t.Errorf("readyz while draining: %d", r.status)
	}
}

func TestMetrics(t *testing.T) {
	h := newHarness(t)
	file := h.uploadID(h.key, "", testenv.BinarySTL("", testenv.Tri))
	h.run(h.key, "analyze", file, "")
	h.do(req{method: "GET", path: "/api/v1/files/" + uuid.NewString(), key: h.key})
	r := h.do(req{method: "GET", path: "/metrics"})
	if r.status != 200 {
		t.Fatalf("metrics: %d", r.status)
	}
	for _, want := range []string{
		`meshops_http_requests_total{method="POST",route="/api/v1/files",status="201"} 1`,
		`meshops_http_requests_total{method="GET",route="/api/v1/files/:id",status="404"} 1`,
		`meshops_http_request_duration_seconds_bucket{method="POST",route="/api/v1/files",status="201"`,
		`meshops_uploaded_bytes_total 134`,
		`go_goroutines`,
	} {
		if !bytes.Contains(r.body, []byte(want)) {
			t.Errorf("metrics lack %s", want)
		}
	}
}

// TestHostileRequests sends what an attacker or a broken client would and
// checks each gets its documented error while the server keeps serving.
func TestHostileRequests(t *testing.T) {
	h := newHarness(t)
	file := h.uploadID(h.key, "", testenv.BinarySTL("", testenv.Tri))
	json := map[string]string{"Content-Type": "application/json"}

	big := bytes.Repeat([]byte(" "), 10<<20)
	copy(big, `{"fileId":"`+file+`","scaleFactor":2`)
	big[len(big)-1] = '}'
	if r := h.do(req{method: "POST", path: "/api/v1/operations/scale", key: h.key, body: bytes.NewReader(big), header: json}); r.errorCode() != 13 || r.status != 413 {
		t.Errorf("10 MB JSON body: %d %s", r.status, r.body)
	}
	deep := `{"fileId":"` + file + `","scaleFactor":` + strings.Repeat("[", 100000) + strings.Repeat("]", 100000) + `}`
	if r := h.do(req{method: "POST", path: "/api/v1/operations/scale", key: h.key, body: strings.NewReader(deep), header: json}); r.errorCode() != 13 {
		t.Errorf("deeply nested JSON: %d %s", r.status, r.body)
	}
	deep = `{"fileId":"` + file + `","scaleFactor":` + strings.Repeat("[", 5000) + strings.Repeat("]", 5000) + `}`
	if r := h.do(req{method: "POST", path: "/api/v1/operations/scale", key: h.key, body: strings.NewReader(deep), header: json}); r.errorCode() != 13 || r.status != 400 {
		t.Errorf("nested JSON within the size limit: %d %s", r.status, r.body)
	}

	// An STL header claiming 2^31 triangles in a 134-byte file.
	liar := testenv.BinarySTL("", testenv.Tri)
	binary.LittleEndian.PutUint32(liar[80:], 1<<31-1)
	if r := h.upload(h.key, "", liar); r.status != 415 || r.errorCode() != 50 || !strings.Contains(string(r.body), "truncated") {
		t.Errorf("STL claiming 2^31 triangles: %d %s", r.status, r.body)
	}

	// ../ in names: stored cleaned, served with a safe Content-Disposition.
	evil := "../../etc/pass\"wd\r\nX-Evil: 1;.stl"
	r := h.upload(h.key, "?name="+urlEscape(evil), testenv.BinarySTL("", testenv.Tri))
	if r.status != 201 {
		t.Fatalf("evil name: %d %s", r.status, r.body)
	}
	f := r.json(t)
	name := f["name"].(string)
	if strings.ContainsAny(name, "/\\\r\n") {
		t.Errorf("stored name %q keeps path or control characters", name)
	}
	dl := h.do(req{method: "GET", path: "/api/v1/files/" + f["id"].(string) + "/content", key: h.key})
	if cd := dl.header.Get("Content-Disposition"); !strings.HasPrefix(cd, "attachment;") || strings.ContainsAny(cd, "\r\n/") || dl.header.Get("X-Evil") != "" {
		t.Errorf("Content-Disposition %q", cd)
	}
	// ../ in ids never reaches storage: each is an unknown id.
	for _, p := range []string{
		"/api/v1/files/..%2F..%2Fmeta.db", "/api/v1/files/..%2F..%2Fmeta.db/content",
		"/api/v1/uploads/..%2Fblobs/chunks/0", "/api/v1/operations/..%2F..",
	} {
		method := "GET"
		if strings.Contains(p, "chunks") {
			method = "PUT"
		}
		r := h.do(req{method: method, path: p, key: h.key, body: strings.NewReader("x")})
		if r.status != 404 && r.status != 400 {
			t.Errorf("%s %s: %d %s", method, p, r.status, r.body)
		}
	}
	if r := h.do(req{method: "GET", path: "/api/v1/files/" + file, key: h.key}); r.status != 200 {
		t.Errorf("server stopped serving: %d", r.status)
	}
}

func urlEscape(s string) string {
	var b strings.Builder
	for _, c := range []byte(s) {
		fmt.Fprintf(&b, "%%%02X", c)
	}
	return b.String()
}

// TestSlowloris holds connections open with half-sent headers and a stalled
// body; the server drops them at its timeouts and keeps serving others.
func TestSlowloris(t *testing.T) {
	h := newHarness(t)
	srv := h.server.HTTPServer(api.Timeouts{ReadHeader: 300 * time.Millisecond, BodyIdle: 300 * time.Millisecond})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	defer srv.Close()
	addr := ln.Addr().String()

	var conns []net.Conn
	for range 50 {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(c, "GET /api/v1/files HTTP/1.1\r\nHost: x\r\nX-Slow: ")
		conns = append(conns, c)
	}
	body, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(body, "POST /api/v1/files HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nContent-Type: application/octet-stream\r\nContent-Length: 100000\r\n\r\nsolid x\n", h.key)
	conns = append(conns, body)

	// Others are served meanwhile.
	res, err := http.Get("http://" + addr + "/healthz")
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("healthz while slow clients wait: %v", err)
	}
	res.Body.Close()

	// Every slow connection is closed by the server within a second or so.
	for i, c := range conns {
		c.SetReadDeadline(time.Now().Add(3 * time.Second))
		reply, err := io.ReadAll(c)
		if ne, ok := err.(net.Error); ok && ne.Timeout() {
			t.Fatalf("connection %d still open after 3 s", i)
		}
		if i == len(conns)-1 && !bytes.Contains(reply, []byte(`"code":13`)) {
			t.Errorf("stalled body answered %q", reply)
		}
		c.Close()
	}
	// Nothing was stored from the stalled upload.
	if files := h.do(req{method: "GET", path: "/api/v1/files", key: h.key}).json(t)["items"].([]any); len(files) != 0 {
		t.Errorf("%d files stored", len(files))
	}
}

// TestHostileModels uploads files built to exhaust memory and converts
// them: each fails with a numbered error, allocating little.
func TestHostileModels(t *testing.T) {
	h := newHarness(t)
	var zbuf bytes.Buffer
	zw := zip.NewWriter(&zbuf)
	w, _ := zw.Create("3D/3dmodel.model")
	io.WriteString(w, `<?xml version="1.0"?><model unit="millimeter" xmlns="http://schemas.microsoft.com/3dmanufacturing/core/2015/02"><resources><object id="1" type="model"><mesh><vertices>`)
	blank := bytes.Repeat([]byte(" "), 1<<20)
	for range 64 { // 64 MiB of blanks: ~64 KB compressed
		w.Write(blank)
	}
	io.WriteString(w, `</vertices></mesh></object></resources></model>`)
	zw.Close()

	ply := []byte("ply\nformat binary_little_endian 1.0\nelement vertex 2147483647\nproperty float x\nproperty float y\nproperty float z\nelement face 2147483647\nproperty list uchar int vertex_indices\nend_header\n")
	ply = append(ply, bytes.Repeat([]byte{0, 0, 128, 63}, 200)...)

	off := []byte("OFF\n2000000000 2000000000 0\n0 0 0\n1 0 0\n0 1 0\n3 0 1 2\n")
	for _, tc := range []struct {
		name string
		data []byte
	}{{"bomb.3mf", zbuf.Bytes()}, {"liar.ply", ply}, {"liar.off", off}} {
		t.Run(tc.name, func(t *testing.T) {
			id := h.uploadID(h.key, "?name="+tc.name, tc.data)
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			op := h.await(h.key, h.submit(h.key, "stl-conversion", id, "", nil).json(t)["id"].(string))
			runtime.ReadMemStats(&after)
			if op["status"] != "failed" || op["error"].(map[string]any)["code"] != 202.0 {
				t.Errorf("%v", op)
			}
			if grew := after.TotalAlloc - before.TotalAlloc; grew > 128<<20 { // all allocation (not peak), race detector included
				t.Errorf("converting allocated %d MB", grew>>20)
			}
			t.Logf("%s: %s", tc.name, op["error"].(map[string]any)["message"])
		})
	}
}
