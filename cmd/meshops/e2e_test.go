package main

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/meshops/meshops/internal/testenv"
)

// buildBinary compiles cmd/meshops into a temp dir, as a user's go build would.
func buildBinary(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds the binary; skipped with -short")
	}
	bin := filepath.Join(t.TempDir(), "meshops")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// server is a running `meshops serve`.
type server struct {
	cmd     *exec.Cmd
	base    string
	dataDir string
	stderr  *bytes.Buffer
}

func startServer(t *testing.T, bin, dataDir string, extra ...string) *server {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"serve", "--addr", "127.0.0.1:0", "--data-dir", dataDir}, extra...)...)
	cmd.Env = append(os.Environ(), "MESHOPS_LOG_LEVEL=warn")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	s := &server{cmd: cmd, dataDir: dataDir, stderr: new(bytes.Buffer)}
	cmd.Stderr = s.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	lines := make(chan string)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	deadline := time.After(20 * time.Second)
	for {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("server exited before listening; stderr:\n%s", s.stderr)
			}
			if addr, found := strings.CutPrefix(l, "meshops listening on "); found {
				s.base = addr
				go func() {
					for range lines {
					}
				}()
				return s
			}
		case <-deadline:
			t.Fatalf("server did not start; stderr:\n%s", s.stderr)
		}
	}
}

func (s *server) stop(t *testing.T) {
	t.Helper()
	s.cmd.Process.Signal(syscall.SIGTERM)
	if err := s.cmd.Wait(); err != nil {
		t.Errorf("serve did not exit cleanly on SIGTERM: %v\n%s", err, s.stderr)
	}
}

func call(t *testing.T, method, url, key string, body io.Reader, header ...string) (int, []byte) {
	t.Helper()
	req, _ := http.NewRequest(method, url, body)
	req.Header.Set("Authorization", "Bearer "+key)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, b
}

// TestEndToEnd drives the real binary like a user following the README.
func TestEndToEnd(t *testing.T) {
	bin := buildBinary(t)
	dataDir := filepath.Join(t.TempDir(), "data")
	srv := startServer(t, bin, dataDir)

	// The first start wrote an admin key, readable only by its owner.
	st, err := os.Stat(filepath.Join(dataDir, "admin-key.txt"))
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("admin key file: %v %v", st, err)
	}
	// keys create prints the key alone on the first line, while serve runs.
	out, err := exec.Command(bin, "keys", "create", "--name", "e2e", "--data-dir", dataDir).Output()
	if err != nil {
		t.Fatalf("keys create: %v", err)
	}
	key := strings.SplitN(string(out), "\n", 2)[0]
	if !strings.HasPrefix(key, "mk_") {
		t.Fatalf("keys create printed %q", out)
	}
	api := srv.base + "/api/v1"

	// Single upload, raw body and multipart.
	data := testenv.Corpus(t, "prusa_extruder-body.stl")
	code, body := call(t, "POST", api+"/files?name=body.stl", key, bytes.NewReader(data), "Content-Type", "model/stl")
	if code != 201 {
		t.Fatalf("raw upload: %d %s", code, body)
	}
	var f struct{ ID, SHA256 string }
	json.Unmarshal(body, &f)
	var mp bytes.Buffer
	w := multipart.NewWriter(&mp)
	fw, _ := w.CreateFormFile("file", "cube.stl")
	fw.Write(testenv.Corpus(t, "20mm-xyz-cube.stl"))
	w.Close()
	if code, body := call(t, "POST", api+"/files", key, &mp, "Content-Type", w.FormDataContentType()); code != 201 {
		t.Fatalf("multipart upload: %d %s", code, body)
	}
	code, got := call(t, "GET", api+"/files/"+f.ID+"/content", key, nil)
	if code != 200 || !bytes.Equal(got, data) {
		t.Fatalf("download of single upload: %d, identical %v", code, bytes.Equal(got, data))
	}

	// Chunked upload, chunks sent out of order.
	big := testenv.Corpus(t, "3dbenchy.stl")
	id := uuid.NewString()
	const chunk = 1 << 20
	n := (len(big) + chunk - 1) / chunk
	for _, i := range append([]int{n - 1}, perm(n-1)...) {
		end := min((i+1)*chunk, len(big))
		if code, body := call(t, "PUT", fmt.Sprintf("%s/uploads/%s/chunks/%d", api, id, i), key, bytes.NewReader(big[i*chunk:end])); code != 200 {
			t.Fatalf("chunk %d: %d %s", i, code, body)
		}
	}
	sum := sha256.Sum256(big)
	commit := fmt.Sprintf(`{"name":"benchy.stl","chunks":%d,"sha256":"%s"}`, n, hex.EncodeToString(sum[:]))
	if code, body := call(t, "POST", api+"/uploads/"+id+"/commit", key, strings.NewReader(commit), "Content-Type", "application/json"); code != 201 {
		t.Fatalf("commit: %d %s", code, body)
	}
	code, got = call(t, "GET", api+"/files/"+id+"/content", key, nil)
	if code != 200 || !bytes.Equal(got, big) {
		t.Fatalf("download of chunked upload: %d, identical %v", code, bytes.Equal(got, big))
	}

	// A restart keeps everything.
	srv.stop(t)
	srv = startServer(t, bin, dataDir)
	api = srv.base + "/api/v1"
	if code, _ := call(t, "GET", api+"/files/"+id, key, nil); code != 200 {
		t.Errorf("file lost across restart: %d", code)
	}
	// Revoking works on the next request.
	if out, err := exec.Command(bin, "keys", "revoke", "e2e", "--data-dir", dataDir).CombinedOutput(); err != nil {
		t.Fatalf("keys revoke: %v %s", err, out)
	}
	if code, _ := call(t, "GET", api+"/files", key, nil); code != 401 {
		t.Errorf("revoked key answered %d", code)
	}
	srv.stop(t)
}

// perm returns 0…n-1 in a scrambled but fixed order.
func perm(n int) []int {
	out := make([]int, 0, n)
	for i := range n {
		out = append(out, (i*7+3)%n)
	}
	seen := map[int]bool{}
	uniq := out[:0]
	for _, v := range out {
		if !seen[v] {
			seen[v] = true
			uniq = append(uniq, v)
		}
	}
	for i := range n {
		if !seen[i] {
			uniq = append(uniq, i)
		}
	}
	return uniq
}

// TestCrashRecovery kills the server with SIGKILL while a long operation
// runs and short ones wait, restarts it, and checks that every operation
// ends (none stays running) and nothing is lost.
func TestCrashRecovery(t *testing.T) {
	bin := buildBinary(t)
	dataDir := filepath.Join(t.TempDir(), "data")
	srv := startServer(t, bin, dataDir, "--enable-test-operations", "--workers", "1")
	key := strings.TrimSpace(readFile(t, filepath.Join(dataDir, "admin-key.txt")))
	api := srv.base + "/api/v1"
	submit := submitter(t, api, key, uploadCube(t, api, key))
	long := submit("test-sleep", `,"seconds":3`)
	var short []string
	for range 4 {
		short = append(short, submit("analyze", ""))
	}
	// Wait until the long one runs, then kill -9.
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		_, b := call(t, "GET", api+"/operations/"+long, key, nil)
		if strings.Contains(string(b), `"status":"running"`) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	srv.cmd.Process.Signal(syscall.SIGKILL)
	srv.cmd.Wait()

	srv = startServer(t, bin, dataDir, "--enable-test-operations", "--workers", "1")
	api = srv.base + "/api/v1"
	for _, id := range append([]string{long}, short...) {
		code, b := call(t, "GET", api+"/operations/"+id+"?waitSeconds=30", key, nil)
		if code != 200 || !strings.Contains(string(b), `"status":"succeeded"`) {
			t.Errorf("operation %s after the crash: %d %s", id, code, b)
		}
	}
	srv.stop(t)
}

// uploadCube uploads the 20 mm cube and returns its file id.
func uploadCube(t *testing.T, api, key string) string {
	t.Helper()
	code, body := call(t, "POST", api+"/files", key, bytes.NewReader(testenv.Corpus(t, "20mm-xyz-cube.stl")))
	if code != 201 {
		t.Fatalf("upload: %d %s", code, body)
	}
	var f struct{ ID string }
	json.Unmarshal(body, &f)
	return f.ID
}

// submitter returns a function that submits an operation of a type (params:
// the JSON after "fileId") on the file and returns the operation id.
func submitter(t *testing.T, api, key, fileID string) func(typ, params string) string {
	return func(typ, params string) string {
		t.Helper()
		code, body := call(t, "POST", api+"/operations/"+typ, key, strings.NewReader(`{"fileId":"`+fileID+`"`+params+`}`))
		if code != 202 {
			t.Fatalf("submit %s: %d %s", typ, code, body)
		}
		var op struct{ ID string }
		json.Unmarshal(body, &op)
		return op.ID
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestGracefulShutdown sends SIGTERM with two operations running and two
// queued: new work gets 503 code 11 while polls still answer, the short
// operation finishes within the grace period, the long one is requeued, the
// process exits 0, and after a restart everything succeeds.
func TestGracefulShutdown(t *testing.T) {
	bin := buildBinary(t)
	dataDir := filepath.Join(t.TempDir(), "data")
	args := []string{"--enable-test-operations", "--workers", "2", "--shutdown-grace", "2s"}
	srv := startServer(t, bin, dataDir, args...)
	key := strings.TrimSpace(readFile(t, filepath.Join(dataDir, "admin-key.txt")))
	api := srv.base + "/api/v1"
	submit := submitter(t, api, key, uploadCube(t, api, key))
	status := func(id string) string {
		_, b := call(t, "GET", api+"/operations/"+id, key, nil)
		var op struct{ Status string }
		json.Unmarshal(b, &op)
		return op.Status
	}
	long, short := submit("test-sleep", `,"seconds":6`), submit("test-sleep", `,"seconds":1`)
	queued := []string{submit("analyze", ""), submit("analyze", "")}
	deadline := time.Now().Add(10 * time.Second)
	for (status(long) != "running" || status(short) != "running") && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	srv.cmd.Process.Signal(syscall.SIGTERM)
	exited := make(chan error, 1)
	go func() { exited <- srv.cmd.Wait() }()

	// Draining: new work is refused with Retry-After, polls still answer.
	deadline = time.Now().Add(5 * time.Second)
	for {
		req, _ := http.NewRequest("POST", api+"/files", bytes.NewReader(testenv.Corpus(t, "20mm-xyz-cube.stl")))
		req.Header.Set("Authorization", "Bearer "+key)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("the listener closed before the grace period: %v\n%s", err, srv.stderr)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode == 503 {
			if !strings.Contains(string(b), `"code":11`) || res.Header.Get("Retry-After") == "" {
				t.Errorf("draining answer: %s %v", b, res.Header)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("uploads still accepted after SIGTERM: %d", res.StatusCode)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if s := status(long); s != "running" {
		t.Errorf("polling while draining: %q", s)
	}
	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("exit after SIGTERM: %v\n%s", err, srv.stderr)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("no exit 15 s after SIGTERM")
	}

	srv = startServer(t, bin, dataDir, args...)
	api = srv.base + "/api/v1"
	for _, id := range append([]string{long, short}, queued...) {
		code, b := call(t, "GET", api+"/operations/"+id+"?waitSeconds=30", key, nil)
		if code != 200 || !strings.Contains(string(b), `"status":"succeeded"`) {
			t.Errorf("operation %s after the restart: %d %s", id, code, b)
		}
	}
	// The short one finished before the exit; only the long one ran twice.
	_, b := call(t, "GET", api+"/operations/"+short, key, nil)
	if strings.Contains(string(b), `"attempts":2`) {
		t.Errorf("the short operation ran again: %s", b)
	}
	srv.stop(t)
}
