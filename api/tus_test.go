package api_test

import (
	"bytes"
	"crypto/sha1"
	"encoding/base64"
	"fmt"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/meshops/meshops/api"
	"github.com/meshops/meshops/internal/testenv"
	"github.com/meshops/meshops/upload"
)

func tusHeaders(extra ...string) map[string]string {
	h := map[string]string{"Tus-Resumable": "1.0.0"}
	for i := 0; i+1 < len(extra); i += 2 {
		h[extra[i]] = extra[i+1]
	}
	return h
}

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

func (h *harness) tusCreate(key string, length int, metadata string) *response {
	h.t.Helper()
	return h.do(req{method: "POST", path: "/api/v1/tus/", key: key, header: tusHeaders("Upload-Length", fmt.Sprint(length), "Upload-Metadata", metadata)})
}

func (h *harness) tusPatch(key, loc string, offset int, data []byte, extra ...string) *response {
	h.t.Helper()
	hdr := tusHeaders(append([]string{"Upload-Offset", fmt.Sprint(offset), "Content-Type", "application/offset+octet-stream"}, extra...)...)
	return h.do(req{method: "PATCH", path: loc, key: key, body: bytes.NewReader(data), header: hdr})
}

func TestTusUpload(t *testing.T) {
	h := newHarness(t)
	opt := h.do(req{method: "OPTIONS", path: "/api/v1/tus/"})
	if opt.status != 204 || opt.header.Get("Tus-Version") != "1.0.0" || !strings.Contains(opt.header.Get("Tus-Extension"), "checksum") {
		t.Fatalf("OPTIONS: %d %v", opt.status, opt.header)
	}
	data := testenv.Corpus(t, "voron_filament_card.stl")
	r := h.tusCreate(h.key, len(data), "filename "+b64("card.stl")+",units "+b64("inch"))
	if r.status != 201 {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	loc := r.header.Get("Location")
	id := strings.TrimPrefix(loc, "/api/v1/tus/")
	if _, err := uuid.Parse(id); err != nil || r.header.Get("Upload-Expires") == "" {
		t.Fatalf("Location %q, headers %v", loc, r.header)
	}

	part1, part2 := data[:10000], data[10000:]
	sum := sha1.Sum(part1)
	if r := h.tusPatch(h.key, loc, 0, part1, "Upload-Checksum", "sha1 "+base64.StdEncoding.EncodeToString(sum[:])); r.status != 204 || r.header.Get("Upload-Offset") != "10000" {
		t.Fatalf("patch 1: %d %s %v", r.status, r.body, r.header)
	}
	head := h.do(req{method: "HEAD", path: loc, key: h.key, header: tusHeaders()})
	if head.status != 200 || head.header.Get("Upload-Offset") != "10000" || head.header.Get("Upload-Length") != fmt.Sprint(len(data)) ||
		head.header.Get("Cache-Control") != "no-store" || !strings.Contains(head.header.Get("Upload-Metadata"), "filename "+b64("card.stl")) {
		t.Fatalf("HEAD: %d %v", head.status, head.header)
	}
	expect(t, "offset mismatch", h.tusPatch(h.key, loc, 5, part2), 409, 55)
	bad := sha1.Sum([]byte("other"))
	expect(t, "checksum mismatch", h.tusPatch(h.key, loc, 10000, part2, "Upload-Checksum", "sha1 "+base64.StdEncoding.EncodeToString(bad[:])), 460, 55)
	expect(t, "unknown checksum algorithm", h.tusPatch(h.key, loc, 10000, part2, "Upload-Checksum", "crc32 AAAA"), 400, 13)
	expect(t, "wrong content type", h.do(req{method: "PATCH", path: loc, key: h.key, body: bytes.NewReader(part2), header: tusHeaders("Upload-Offset", "10000", "Content-Type", "application/json")}), 415, 13)
	expect(t, "no Tus-Resumable", h.do(req{method: "PATCH", path: loc, key: h.key, body: bytes.NewReader(part2), header: map[string]string{"Upload-Offset": "10000", "Content-Type": "application/offset+octet-stream"}}), 412, 13)
	expect(t, "other key", h.tusPatch(h.other, loc, 10000, part2), 404, 52)
	expect(t, "too many bytes", h.tusPatch(h.key, loc, 10000, append(append([]byte{}, part2...), 1)), 400, 55)

	// The last byte turns the upload into a file with the upload's id.
	if r := h.tusPatch(h.key, loc, 10000, part2); r.status != 204 || r.header.Get("Upload-Offset") != fmt.Sprint(len(data)) {
		t.Fatalf("final patch: %d %s", r.status, r.body)
	}
	f := h.do(req{method: "GET", path: "/api/v1/files/" + id, key: h.key}).json(t)
	if f["name"] != "card.stl" || f["units"] != "inch" || f["sha256"] != sha(data) {
		t.Errorf("file %v", f)
	}
	if head := h.do(req{method: "HEAD", path: loc, key: h.key, header: tusHeaders()}); head.status != 200 || head.header.Get("Upload-Offset") != fmt.Sprint(len(data)) {
		t.Errorf("HEAD after completion: %d %v", head.status, head.header)
	}
}

func TestTusCreationWithUploadAndErrors(t *testing.T) {
	h := newHarness(t, func(c *upload.Config, _ *api.Server) { c.MaxFileBytes = 100 << 10 })
	data := testenv.BinarySTL("", testenv.Tri, testenv.Tri)
	r := h.do(req{method: "POST", path: "/api/v1/tus/", key: h.key, body: bytes.NewReader(data),
		header: tusHeaders("Upload-Length", fmt.Sprint(len(data)), "Content-Type", "application/offset+octet-stream")})
	if r.status != 201 || r.header.Get("Upload-Offset") != fmt.Sprint(len(data)) {
		t.Fatalf("creation-with-upload: %d %s %v", r.status, r.body, r.header)
	}
	id := strings.TrimPrefix(r.header.Get("Location"), "/api/v1/tus/")
	if g := h.do(req{method: "GET", path: "/api/v1/files/" + id, key: h.key}); g.status != 200 {
		t.Errorf("file after creation-with-upload: %d", g.status)
	}

	expect(t, "too big", h.tusCreate(h.key, 200<<10, ""), 413, 51)
	expect(t, "no length", h.do(req{method: "POST", path: "/api/v1/tus/", key: h.key, header: tusHeaders()}), 400, 13)
	expect(t, "bad metadata", h.tusCreate(h.key, 10, "name !!!"), 400, 13)
	expect(t, "bad units", h.tusCreate(h.key, 10, "units "+b64("furlong")), 400, 200)
	expect(t, "no key", h.do(req{method: "POST", path: "/api/v1/tus/", header: tusHeaders("Upload-Length", "10")}), 401, 12)

	// Not STL: the completing PATCH answers 50 and the upload can be terminated.
	junk := []byte("definitely not a mesh")
	loc := h.tusCreate(h.key, len(junk), "").header.Get("Location")
	expect(t, "not stl", h.tusPatch(h.key, loc, 0, junk), 415, 50)
	if r := h.do(req{method: "DELETE", path: loc, key: h.key, header: tusHeaders()}); r.status != 204 {
		t.Errorf("terminate: %d %s", r.status, r.body)
	}
	expect(t, "after terminate", h.tusPatch(h.key, loc, 0, junk), 404, 52)
}
