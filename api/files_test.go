package api_test

import (
	"bytes"
	"context"
	"io"
	"math"
	"mime/multipart"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/meshops/meshops"
	"github.com/meshops/meshops/api"
	"github.com/meshops/meshops/internal/testenv"
	"github.com/meshops/meshops/upload"
)

func multipartBody(t *testing.T, fields [][2]string, fileName string, data []byte) (io.Reader, string) {
	t.Helper()
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	for _, f := range fields {
		w.WriteField(f[0], f[1])
	}
	if fileName != "" {
		fw, _ := w.CreateFormFile("file", fileName)
		fw.Write(data)
	}
	w.Close()
	return &b, w.FormDataContentType()
}

func TestUploadAccepts(t *testing.T) {
	h := newHarness(t)
	asciiTwo := "solid a\r\nfacet normal 0 0 1\r\nouter loop\r\nvertex 0 0 0\r\nvertex 1 0 0\r\nvertex 0 1 0\r\nendloop\r\nendfacet\r\nendsolid a\r\n" +
		"solid b\n  facet normal 0 0 1\n\touter loop\n vertex 1e0 0 0\n vertex 2.5E+0   0 0\n vertex 1 1 -1.5e-1\n endloop endfacet endsolid b"
	cases := []struct {
		name      string
		data      []byte
		query     string
		format    string
		triangles float64
	}{
		{"binary corpus", testenv.Corpus(t, "prusa_extruder-body.stl"), "", "stl-binary", 21464},
		{"all-zero header", testenv.Corpus(t, "bad-stl-tardis.stl"), "", "stl-binary", 3636},
		{"ascii two solids", []byte(asciiTwo), "?name=two.stl", "stl-ascii", 2},
		{"ascii corpus multiple solids", testenv.Corpus(t, "multibody.stl"), "", "stl-ascii", 32},
		{"binary header starting with solid", testenv.BinarySTL("solid trick", testenv.Tri), "", "stl-binary", 1},
		{"source obj kept as is", testenv.Corpus(t, "comments.off"), "?name=comments.off", "off", 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := h.upload(h.key, tc.query, tc.data)
			if r.status != http.StatusCreated {
				t.Fatalf("status %d: %s", r.status, r.body)
			}
			m := r.json(t)
			if m["format"] != tc.format || m["sizeBytes"] != float64(len(tc.data)) {
				t.Errorf("got %v", m)
			}
			if loc := r.header.Get("Location"); loc != "/api/v1/files/"+m["id"].(string) {
				t.Errorf("Location %q", loc)
			}
			if tc.triangles > 0 {
				mesh := m["mesh"].(map[string]any)
				if mesh["triangles"] != tc.triangles {
					t.Errorf("triangles %v, want %v", mesh["triangles"], tc.triangles)
				}
			} else if m["mesh"] != nil {
				t.Errorf("source file has mesh info %v", m["mesh"])
			}
		})
	}
}

func TestUploadMultipartAndUnits(t *testing.T) {
	h := newHarness(t)
	id := uuid.NewString()
	body, ct := multipartBody(t, [][2]string{{"units", "inch"}, {"id", id}}, "../../etc/cube.stl", testenv.Corpus(t, "unit_cube.stl"))
	r := h.do(req{method: "POST", path: "/api/v1/files", key: h.key, body: body, header: map[string]string{"Content-Type": ct}})
	if r.status != http.StatusCreated {
		t.Fatalf("%d %s", r.status, r.body)
	}
	m := r.json(t)
	if m["id"] != id || m["units"] != "inch" || m["name"] != "cube.stl" {
		t.Errorf("got %v", m)
	}
	dims := m["mesh"].(map[string]any)["dimensionsMm"].(map[string]any)
	if math.Abs(dims["x"].(float64)-25.4) > 1e-4 {
		t.Errorf("a 1-inch cube must be 25.4 mm wide, got %v", dims)
	}
	// Fields after the file part are not seen; unknown fields are refused.
	body, ct = multipartBody(t, [][2]string{{"colour", "red"}}, "x.stl", testenv.BinarySTL("", testenv.Tri))
	r = h.do(req{method: "POST", path: "/api/v1/files", key: h.key, body: body, header: map[string]string{"Content-Type": ct}})
	expect(t, "unknown form field", r, 400, 13)
	body, ct = multipartBody(t, [][2]string{{"name", "x.stl"}}, "", nil)
	r = h.do(req{method: "POST", path: "/api/v1/files", key: h.key, body: body, header: map[string]string{"Content-Type": ct}})
	expect(t, "no file part", r, 400, 13)
}

// TestUploadErrors produces every upload code over HTTP with hand-made edge
// cases, and checks a refused upload leaves no trace.
func TestUploadErrors(t *testing.T) {
	h := newHarness(t, func(c *upload.Config, _ *api.Server) { c.MaxFileBytes = 64 << 10 })
	good := testenv.Corpus(t, "20mm-xyz-cube.stl")
	nan := float32(math.NaN())
	taken := uuid.NewString()
	if r := h.upload(h.key, "?id="+taken, good); r.status != 201 {
		t.Fatalf("seed upload: %d %s", r.status, r.body)
	}
	cases := []struct {
		name   string
		query  string
		data   []byte
		status int
		code   int
		says   string
	}{
		{"empty", "", nil, 400, 53, "empty"},
		{"header only", "", testenv.BinarySTL("x"), 400, 53, "0 facets"},
		{"ascii without facets", "", []byte("solid e\nendsolid e\n"), 400, 53, "no facets"},
		{"truncated by one byte", "", good[:len(good)-1], 415, 50, "truncated"},
		{"solid header truncated", "", testenv.BinarySTL("solid x", testenv.Tri, testenv.Tri)[:140], 415, 50, "declares 2 facets"},
		{"garbage", "", []byte("PK\x03\x04 this is a zip, not a mesh"), 415, 50, "not ASCII STL"},
		{"NaN vertex", "", testenv.BinarySTL("", [9]float32{nan, 0, 0, 1, 0, 0, 0, 1, 0}), 415, 50, "non-finite"},
		{"ascii syntax", "", []byte("solid x\nfacet normal 0 0 1\nouter loop\nvertex 0 0\nendloop\n"), 415, 50, "line 5: expected a number"},
		{"too big (declared)", "", bytes.Repeat([]byte{1}, 65<<10), 413, 51, "maximum size"},
		{"bad units", "?units=furlong", good, 400, 200, "furlong"},
		{"bad id", "?id=../../etc/passwd", good, 400, 13, "UUID"},
		{"id taken", "?id=" + taken, good, 409, 57, "already exists"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := h.upload(h.key, tc.query, tc.data)
			expect(t, tc.name, r, tc.status, tc.code)
			if _, msg, _ := r.errorBody(); !strings.Contains(msg, tc.says) {
				t.Errorf("message %q does not say %q", msg, tc.says)
			}
		})
	}
	// Too big while streaming (no Content-Length): stopped at the limit.
	big := io.MultiReader(bytes.NewReader(good), bytes.NewReader(make([]byte, 100<<10)))
	r := h.do(req{method: "POST", path: "/api/v1/files", key: h.key, body: big, contentLen: -1})
	expect(t, "too big (streamed)", r, 413, 51)

	// Nothing of the refused uploads is kept: one file listed, one blob on disk.
	list := h.do(req{method: "GET", path: "/api/v1/files", key: h.key}).json(t)
	if n := len(list["items"].([]any)); n != 1 {
		t.Errorf("%d files listed after refused uploads, want 1", n)
	}
	entries, _ := os.ReadDir(h.blobDir + "/files")
	if len(entries) != 1 {
		t.Errorf("%d blobs on disk, want 1", len(entries))
	}
}

func TestAuth(t *testing.T) {
	h := newHarness(t)
	expect(t, "no key", h.do(req{method: "GET", path: "/api/v1/files"}), 401, 12)
	expect(t, "unknown key", h.do(req{method: "GET", path: "/api/v1/files", key: "mk_nope"}), 401, 12)
	expect(t, "basic auth", h.do(req{method: "GET", path: "/api/v1/files", header: map[string]string{"Authorization": "Basic Zm9vOmJhcg=="}}), 401, 12)
	r := h.do(req{method: "GET", path: "/api/v1/files", header: map[string]string{"X-API-Key": h.key}})
	if r.status != 200 {
		t.Errorf("X-API-Key: %d", r.status)
	}
	expect(t, "non-admin key on admin route", h.do(req{method: "GET", path: "/api/v1/keys", key: h.key}), 403, 12)
	if r := h.do(req{method: "GET", path: "/api/v1/keys", key: h.admin}); r.status != 200 || strings.Contains(string(r.body), h.key) {
		t.Errorf("admin list keys: %d %s", r.status, r.body)
	}
	h.meta.RevokeKey(context.Background(), "bob", h.clock.now())
	expect(t, "revoked key", h.do(req{method: "GET", path: "/api/v1/files", key: h.other}), 401, 12)

	expired := "mk_test_expired_" + uuid.NewString()
	past := time.Now().Add(-time.Hour)
	h.meta.CreateKey(context.Background(), &meshops.Key{ID: uuid.NewString(), Name: "old", Hash: api.HashKey(expired), Prefix: expired[:10], CreatedAt: past.Add(-time.Hour), ExpiresAt: &past})
	expect(t, "expired key", h.do(req{method: "GET", path: "/api/v1/files", key: expired}), 403, 60)
}

func TestRoutingErrors(t *testing.T) {
	h := newHarness(t)
	expect(t, "unknown route", h.do(req{method: "GET", path: "/api/v1/nothing", key: h.key}), 404, 13)
	r := h.do(req{method: "PATCH", path: "/api/v1/files", key: h.key})
	expect(t, "wrong method", r, 405, 13)
	if allow := r.header.Get("Allow"); !strings.Contains(allow, "GET") || !strings.Contains(allow, "POST") {
		t.Errorf("Allow %q", allow)
	}
	expect(t, "bad limit", h.do(req{method: "GET", path: "/api/v1/files?limit=0", key: h.key}), 400, 13)
	expect(t, "bad cursor", h.do(req{method: "GET", path: "/api/v1/files?cursor=zzz", key: h.key}), 400, 13)
}

func TestRecoveryAndReadiness(t *testing.T) {
	var mode string
	h := newHarness(t, func(_ *upload.Config, s *api.Server) {
		s.Ready = func(ctx context.Context) error {
			switch mode {
			case "panic":
				panic("secret internal detail /var/lib/x")
			case "down":
				return io.ErrUnexpectedEOF
			}
			return nil
		}
	})
	if r := h.do(req{method: "GET", path: "/readyz"}); r.status != 200 {
		t.Errorf("ready: %d", r.status)
	}
	mode = "down"
	r := h.do(req{method: "GET", path: "/readyz"})
	expect(t, "not ready", r, 503, 11)
	if r.header.Get("Retry-After") == "" {
		t.Error("503 without Retry-After")
	}
	mode = "panic"
	r = h.do(req{method: "GET", path: "/readyz"})
	expect(t, "panic", r, 500, 10)
	if strings.Contains(string(r.body), "secret") || strings.Contains(string(r.body), "/var/lib") {
		t.Errorf("panic leaked internals: %s", r.body)
	}
	mode = ""
	if r := h.do(req{method: "GET", path: "/healthz"}); r.status != 200 {
		t.Errorf("serving after a panic: %d", r.status)
	}
}

func TestFilesLifecycle(t *testing.T) {
	h := newHarness(t)
	data := testenv.Corpus(t, "prusa_extruder-body.stl")
	r := h.upload(h.key, `?name=we%22ird%0A..%2Fn%C3%A4me.stl`, data)
	if r.status != 201 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	f := r.json(t)
	id := f["id"].(string)
	content := "/api/v1/files/" + id + "/content"

	got := h.do(req{method: "GET", path: content, key: h.key})
	if got.status != 200 || !bytes.Equal(got.body, data) {
		t.Fatalf("download: %d, %d bytes", got.status, len(got.body))
	}
	etag := got.header.Get("ETag")
	if etag != `"`+f["sha256"].(string)+`"` {
		t.Errorf("ETag %q", etag)
	}
	if cd := got.header.Get("Content-Disposition"); strings.ContainsAny(cd, "\n\r") || !strings.HasPrefix(cd, "attachment;") {
		t.Errorf("unsafe Content-Disposition %q", cd)
	}
	if r := h.do(req{method: "GET", path: content, key: h.key, header: map[string]string{"If-None-Match": etag}}); r.status != 304 {
		t.Errorf("If-None-Match: %d", r.status)
	}
	r = h.do(req{method: "GET", path: content, key: h.key, header: map[string]string{"Range": "bytes=84-133"}})
	if r.status != 206 || !bytes.Equal(r.body, data[84:134]) {
		t.Errorf("Range: %d %d bytes", r.status, len(r.body))
	}

	expect(t, "other key's file", h.do(req{method: "GET", path: "/api/v1/files/" + id, key: h.other}), 404, 52)
	expect(t, "other key's content", h.do(req{method: "GET", path: content, key: h.other}), 404, 52)
	expect(t, "other key's delete", h.do(req{method: "DELETE", path: "/api/v1/files/" + id, key: h.other}), 404, 52)
	expect(t, "unknown file", h.do(req{method: "GET", path: "/api/v1/files/" + uuid.NewString(), key: h.key}), 404, 52)

	if r := h.do(req{method: "DELETE", path: "/api/v1/files/" + id, key: h.key}); r.status != 204 {
		t.Fatalf("delete: %d", r.status)
	}
	expect(t, "deleted file", h.do(req{method: "GET", path: "/api/v1/files/" + id, key: h.key}), 410, 52)
	expect(t, "deleted content", h.do(req{method: "GET", path: content, key: h.key}), 410, 52)
	expect(t, "delete twice", h.do(req{method: "DELETE", path: "/api/v1/files/" + id, key: h.key}), 410, 52)
	expect(t, "deleted file, other key", h.do(req{method: "GET", path: "/api/v1/files/" + id, key: h.other}), 404, 52)
	expect(t, "reuse deleted id", h.upload(h.key, "?id="+id, data), 409, 57)
}

func TestListPagination(t *testing.T) {
	h := newHarness(t)
	for range 5 {
		h.upload(h.key, "", testenv.BinarySTL("", testenv.Tri))
	}
	h.upload(h.other, "", testenv.BinarySTL("", testenv.Tri))
	seen := map[string]bool{}
	path := "/api/v1/files?limit=2"
	for pages := 0; ; pages++ {
		if pages > 5 {
			t.Fatal("pagination does not end")
		}
		m := h.do(req{method: "GET", path: path, key: h.key}).json(t)
		for _, it := range m["items"].([]any) {
			seen[it.(map[string]any)["id"].(string)] = true
		}
		next, _ := m["nextCursor"].(string)
		if next == "" {
			break
		}
		path = "/api/v1/files?limit=2&cursor=" + next
	}
	if len(seen) != 5 {
		t.Errorf("saw %d files, want 5 (and none of the other key's)", len(seen))
	}
}

func TestRequestIDAndCORS(t *testing.T) {
	h := newHarness(t)
	r := h.do(req{method: "GET", path: "/healthz", header: map[string]string{"X-Request-Id": "trace-42"}})
	if r.header.Get("X-Request-Id") != "trace-42" {
		t.Errorf("sane id not echoed: %q", r.header.Get("X-Request-Id"))
	}
	r = h.do(req{method: "GET", path: "/healthz", header: map[string]string{"X-Request-Id": "bad id\twith <junk>"}})
	if id := r.header.Get("X-Request-Id"); id == "" || strings.Contains(id, " ") {
		t.Errorf("insane id echoed: %q", id)
	}
	expectID := "e-1"
	r = h.do(req{method: "GET", path: "/api/v1/files", header: map[string]string{"X-Request-Id": expectID}})
	if !strings.Contains(string(r.body), `"requestId":"e-1"`) {
		t.Errorf("error body lacks requestId: %s", r.body)
	}
	pre := h.do(req{method: "OPTIONS", path: "/api/v1/files", header: map[string]string{
		"Origin": "https://app.example", "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "authorization"}})
	if pre.status != 204 || pre.header.Get("Access-Control-Allow-Origin") != "https://app.example" ||
		!strings.Contains(pre.header.Get("Access-Control-Allow-Headers"), "Authorization") {
		t.Errorf("preflight: %d %v", pre.status, pre.header)
	}
	r = h.do(req{method: "GET", path: "/api/v1/files", key: h.key, header: map[string]string{"Origin": "https://app.example"}})
	if !strings.Contains(r.header.Get("Access-Control-Expose-Headers"), "Location") {
		t.Errorf("exposed headers: %q", r.header.Get("Access-Control-Expose-Headers"))
	}
	r = h.do(req{method: "GET", path: "/api/v1/files", key: h.key, header: map[string]string{"Origin": "https://evil.example"}})
	if r.header.Get("Access-Control-Allow-Origin") != "" {
		t.Error("CORS allowed an unlisted origin")
	}
}

func TestOpenAPIServed(t *testing.T) {
	h := newHarness(t)
	r := h.do(req{method: "GET", path: "/api/v1/openapi.json"})
	if r.status != 200 || r.json(t)["openapi"] != "3.0.3" {
		t.Errorf("%d %.200s", r.status, r.body)
	}
}
