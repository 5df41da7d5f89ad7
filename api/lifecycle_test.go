package api_test

import (
	"bufio"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/meshops/meshops/internal/testenv"
	"github.com/meshops/meshops/operations"
)

func (h *harness) opStatus(key, id string) map[string]any {
	h.t.Helper()
	return h.do(req{method: "GET", path: "/api/v1/operations/" + id, key: key}).json(h.t)
}

func TestLifecycle(t *testing.T) {
	h := newHarnessWithEngine(t, func(c *operations.Config) { c.Workers = 1; c.Timeout = 2 * time.Second })
	file := h.uploadID(h.key, "", testenv.BinarySTL("", testenv.Tri))

	long := h.submit(h.key, "test-sleep", file, `,"seconds":30`, nil).json(t)["id"].(string)
	queued := h.submit(h.key, "test-sleep", file, `,"seconds":1`, nil).json(t)["id"].(string)
	// Wait for the long one to run and report progress.
	deadline := time.Now().Add(10 * time.Second)
	for h.opStatus(h.key, long)["status"] != "running" && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	expect(t, "result while running", h.do(req{method: "GET", path: "/api/v1/operations/" + long + "/result", key: h.key}), 409, 73)
	expect(t, "another key's operation", h.do(req{method: "GET", path: "/api/v1/operations/" + long, key: h.other}), 404, 71)

	// Cancel the queued one: it never runs.
	if r := h.do(req{method: "DELETE", path: "/api/v1/operations/" + queued, key: h.key}); r.status != 204 {
		t.Fatalf("cancel queued: %d %s", r.status, r.body)
	}
	// Cancel the running one: it stops within a second.
	start := time.Now()
	if r := h.do(req{method: "DELETE", path: "/api/v1/operations/" + long, key: h.key}); r.status != 202 {
		t.Fatalf("cancel running: %d %s", r.status, r.body)
	}
	op := h.await(h.key, long)
	if op["status"] != "canceled" || time.Since(start) > time.Second {
		t.Errorf("running operation: %v after %v", op["status"], time.Since(start))
	}
	if q := h.opStatus(h.key, queued); q["status"] != "canceled" || q["startedAt"] != nil {
		t.Errorf("queued operation ran: %v", q)
	}
	expect(t, "cancel a finished one", h.do(req{method: "DELETE", path: "/api/v1/operations/" + long, key: h.key}), 409, 70)

	// Timeout → 72.
	slow := h.submit(h.key, "test-sleep", file, `,"seconds":10`, nil).json(t)["id"].(string)
	op = h.await(h.key, slow)
	if op["status"] != "failed" || op["error"].(map[string]any)["code"] != 72.0 {
		t.Errorf("timeout: %v", op)
	}
	// A panic → 74, and the service keeps working.
	p := h.submit(h.key, "test-panic", file, "", nil).json(t)["id"].(string)
	op = h.await(h.key, p)
	if op["status"] != "failed" || op["error"].(map[string]any)["code"] != 74.0 || strings.Contains(op["error"].(map[string]any)["message"].(string), "deliberate") {
		t.Errorf("panic: %v", op)
	}
	ok := h.submit(h.key, "test-sleep", file, `,"seconds":0.2`, nil).json(t)["id"].(string)
	if op = h.await(h.key, ok); op["status"] != "succeeded" || op["progress"] != 100.0 {
		t.Errorf("after a panic: %v", op)
	}
	res := h.do(req{method: "GET", path: "/api/v1/operations/" + ok + "/result", key: h.key})
	if res.status != 200 || !strings.Contains(string(res.body), "sleptSeconds") {
		t.Errorf("result: %d %s", res.status, res.body)
	}

	// Listing with filters and pagination.
	list := h.do(req{method: "GET", path: "/api/v1/operations?status=canceled&type=test-sleep&limit=1", key: h.key}).json(t)
	if len(list["items"].([]any)) != 1 || list["nextCursor"] == nil {
		t.Errorf("list: %v", list)
	}
	expect(t, "bad status filter", h.do(req{method: "GET", path: "/api/v1/operations?status=done", key: h.key}), 400, 13)
	expect(t, "bad waitSeconds", h.do(req{method: "GET", path: "/api/v1/operations/" + ok + "?waitSeconds=61", key: h.key}), 400, 13)
}

func TestEventsAndProgress(t *testing.T) {
	h := newHarness(t)
	file := h.uploadID(h.key, "", testenv.BinarySTL("", testenv.Tri))
	id := h.submit(h.key, "test-sleep", file, `,"seconds":1`, nil).json(t)["id"].(string)
	hr, _ := http.NewRequest("GET", h.srv.URL+"/api/v1/operations/"+id+"/events", nil)
	hr.Header.Set("Authorization", "Bearer "+h.key)
	res, err := http.DefaultClient.Do(hr)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("content type %q", res.Header.Get("Content-Type"))
	}
	var events []string
	last := -1.0
	sc := bufio.NewScanner(res.Body)
	for sc.Scan() {
		line := sc.Text()
		if ev, ok := strings.CutPrefix(line, "event: "); ok {
			events = append(events, ev)
		}
		if data, ok := strings.CutPrefix(line, "data: "); ok {
			var p struct{ Progress float64 }
			jsonUnmarshal(data, &p)
			if p.Progress < last {
				t.Errorf("progress went down: %v after %v", p.Progress, last)
			}
			last = p.Progress
		}
	}
	if len(events) < 3 || events[len(events)-1] != "completed" || events[0] != "progress" {
		t.Errorf("events %v", events)
	}
}

func TestIdempotencyAndQueueFull(t *testing.T) {
	h := newHarnessWithEngine(t, func(c *operations.Config) { c.Workers = 1; c.MaxQueued = 1 })
	file := h.uploadID(h.key, "", testenv.BinarySTL("", testenv.Tri))
	first := h.submit(h.key, "test-sleep", file, `,"seconds":5`, map[string]string{"Idempotency-Key": "k-1"})
	again := h.submit(h.key, "test-sleep", file, `,"seconds":5`, map[string]string{"Idempotency-Key": "k-1"})
	if first.json(t)["id"] != again.json(t)["id"] || again.header.Get("Idempotent-Replayed") != "true" {
		t.Errorf("idempotent retry made a new operation: %s / %s", first.body, again.body)
	}
	deadline := time.Now().Add(10 * time.Second)
	for h.opStatus(h.key, first.json(t)["id"].(string))["status"] != "running" && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	h.submit(h.key, "test-sleep", file, `,"seconds":5`, nil) // fills the queue (1)
	r := h.submit(h.key, "test-sleep", file, `,"seconds":5`, nil)
	expect(t, "queue full", r, 503, 11)
	if r.header.Get("Retry-After") == "" {
		t.Error("503 without Retry-After")
	}
}

func TestWebhook(t *testing.T) {
	var mu sync.Mutex
	var bodies []string
	var calls atomic.Int32
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		if calls.Add(1) == 1 {
			w.WriteHeader(500) // first delivery fails: it must be retried
			return
		}
		mac := hmac.New(sha256.New, []byte("test-secret"))
		mac.Write(b)
		if r.Header.Get("X-Meshops-Signature") != "sha256="+hex.EncodeToString(mac.Sum(nil)) {
			t.Errorf("bad signature %q", r.Header.Get("X-Meshops-Signature"))
		}
		mu.Lock()
		bodies = append(bodies, string(b))
		mu.Unlock()
	}))
	defer hook.Close()
	h := newHarnessWithEngine(t, func(c *operations.Config) { c.AllowPrivateCallbacks = true })
	file := h.uploadID(h.key, "", testenv.BinarySTL("", testenv.Tri))
	id := h.submit(h.key, "analyze", file, `,"callbackUrl":"`+hook.URL+`/done"`, nil).json(t)["id"].(string)
	h.await(h.key, id)
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		mu.Lock()
		n := len(bodies)
		mu.Unlock()
		if n > 0 {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(bodies) != 1 || !strings.Contains(bodies[0], `"status":"succeeded"`) || !strings.Contains(bodies[0], id) {
		t.Errorf("webhook deliveries: %v (calls %d)", bodies, calls.Load())
	}
}
