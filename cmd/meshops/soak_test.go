package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/meshops/meshops/internal/testenv"
)

// TestSoak drives the real binary over loopback with a mix of uploads,
// operations, polls, lists and downloads for MESHOPS_SOAK (60 s by default,
// 10 s with -short... which skips the binary, so 60 s in CI). One client
// key is rate limited so documented 429s occur. It checks that nothing but
// 2xx, 304 and documented 429s comes back, and that goroutines, file
// descriptors and RSS return to or stay at their level.
func TestSoak(t *testing.T) {
	bin := buildBinary(t)
	d := 60 * time.Second
	if v := os.Getenv("MESHOPS_SOAK"); v != "" {
		var err error
		if d, err = time.ParseDuration(v); err != nil {
			t.Fatal(err)
		}
	}
	dataDir := filepath.Join(t.TempDir(), "data")
	srv := startServer(t, bin, dataDir, "--workers", "2")
	admin := strings.TrimSpace(readFile(t, filepath.Join(dataDir, "admin-key.txt")))
	var out, errb bytes.Buffer
	if code := run(t.Context(), []string{"meshops", "keys", "create", "--name", "limited", "--rate", "20", "--data-dir", dataDir}, os.Getenv, nil, &out, &errb); code != 0 {
		t.Fatalf("keys create: %s", errb.String())
	}
	limited := strings.TrimSpace(out.String())
	api := srv.base + "/api/v1"
	cube := testenv.Corpus(t, "20mm-xyz-cube.stl")
	benchy := testenv.Corpus(t, "prusa_extruder-body.stl")

	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	do := func(method, url, key string, body []byte, ct string) (int, []byte, error) {
		var r io.Reader
		if body != nil {
			r = bytes.NewReader(body)
		}
		req, _ := http.NewRequest(method, url, r)
		req.Header.Set("Authorization", "Bearer "+key)
		if ct != "" {
			req.Header.Set("Content-Type", ct)
		}
		res, err := client.Do(req)
		if err != nil {
			return 0, nil, err
		}
		defer res.Body.Close()
		b, err := io.ReadAll(res.Body)
		return res.StatusCode, b, err
	}
	// Warm up, then take the baseline.
	code, body, _ := do("POST", api+"/files", admin, cube, "")
	if code != 201 {
		t.Fatalf("upload: %d %s", code, body)
	}
	var f struct{ ID string }
	json.Unmarshal(body, &f)
	type result struct {
		op     string
		status int
		took   time.Duration
		body   string
	}
	var mu sync.Mutex
	var results []result
	var rss []int64
	load := func(d time.Duration) {
		stop := time.Now().Add(d)
		var wg sync.WaitGroup
		for w := range 16 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				rng := rand.New(rand.NewPCG(uint64(w), 7))
				key := admin
				if w%4 == 3 {
					key = limited
				}
				file := f.ID
				if key == limited { // its own file: admin's are not visible to it
					for file == f.ID && time.Now().Before(stop) {
						if code, b, _ := do("POST", api+"/files", key, cube, ""); code == 201 {
							var nf struct{ ID string }
							json.Unmarshal(b, &nf)
							file = nf.ID
						}
					}
				}
				var pending string // one operation at a time per client
				for time.Now().Before(stop) {
					var op string
					var code int
					var b []byte
					var err error
					start := time.Now()
					switch p := rng.IntN(100); {
					case p < 10:
						op = "upload"
						data := cube
						if rng.IntN(4) == 0 {
							data = benchy
						}
						code, b, err = do("POST", api+"/files", key, data, "application/octet-stream")
						if code == 201 {
							var nf struct{ ID string }
							json.Unmarshal(b, &nf)
							file = nf.ID
						}
					case p < 20 && pending == "":
						op = "operation"
						typ, params := "analyze", ""
						if rng.IntN(2) == 0 {
							typ, params = "scale", `,"factor":1.5`
						}
						code, b, err = do("POST", api+"/operations/"+typ, key, []byte(`{"fileId":"`+file+`"`+params+`}`), "application/json")
						if code == 202 {
							var o struct{ ID string }
							json.Unmarshal(b, &o)
							pending = o.ID
						}
					case p < 70 && pending != "":
						// Like a real client: poll its operation until it ends.
						op = "poll"
						code, b, err = do("GET", api+"/operations/"+pending, key, nil, "")
						if code == 200 && bytes.Contains(b, []byte(`"isCompleted":true`)) {
							pending = ""
						}
					case p < 85:
						op = "list"
						code, b, err = do("GET", api+"/files?limit=20", key, nil, "")
					default:
						op = "download"
						code, b, err = do("GET", api+"/files/"+file+"/content", key, nil, "")
					}
					r := result{op: op, status: code, took: time.Since(start)}
					if err != nil {
						r.body = err.Error()
					} else if code >= 300 {
						r.body = string(b)
					}
					mu.Lock()
					results = append(results, r)
					mu.Unlock()
				}
			}()
		}
		for time.Now().Before(stop) {
			time.Sleep(d / 12)
			rss = append(rss, srv.rssKB(t))
		}
		wg.Wait()
	}
	// settle lets the queue drain and connections close, then samples.
	settle := func() map[string]float64 {
		drainBy := time.Now().Add(2 * time.Minute)
		for time.Now().Before(drainBy) {
			s := srv.sample(t, client)
			if s["meshops_operations_queued"] == 0 && s["meshops_operations_running"] == 0 {
				break
			}
			time.Sleep(200 * time.Millisecond)
		}
		client.CloseIdleConnections()
		time.Sleep(500 * time.Millisecond)
		return srv.sample(t, client)
	}

	// A warm-up fills the pools (database connections, buffers); leaks are
	// growth after that.
	load(min(5*time.Second, d/6))
	base := settle()
	results, rss = nil, nil
	load(d)
	after := settle()

	byStatus := map[string]int{}
	var lat []time.Duration
	for _, r := range results {
		byStatus[fmt.Sprintf("%s %d", r.op, r.status)]++
		lat = append(lat, r.took)
		documented := r.status < 300 || r.status == 304 || (r.status == 429 && strings.Contains(r.body, `"code":11`))
		if !documented {
			t.Errorf("%s → %d %s", r.op, r.status, r.body)
		}
	}
	slices.Sort(lat)
	p := func(q float64) time.Duration { return lat[int(q*float64(len(lat)-1))] }
	t.Logf("%d requests in %s: %.0f/s, p50 %s, p99 %s; by status %v", len(results), d, float64(len(results))/d.Seconds(), p(0.5), p(0.99), byStatus)
	t.Logf("RSS KB over time %v; goroutines %v → %v; fds %v → %v", rss, base["go_goroutines"], after["go_goroutines"], base["process_open_fds"], after["process_open_fds"])
	if after["go_goroutines"] > base["go_goroutines"]+5 {
		t.Errorf("goroutines grew from %v to %v", base["go_goroutines"], after["go_goroutines"])
	}
	if after["process_open_fds"] > base["process_open_fds"]+5 {
		t.Errorf("open fds grew from %v to %v", base["process_open_fds"], after["process_open_fds"])
	}
	// Flat: the last third of the run holds no more than 1.5× (+32 MB) of
	// the first third's peak.
	if n := len(rss); n >= 6 {
		first, last := slices.Max(rss[:n/3]), slices.Max(rss[2*n/3:])
		if float64(last) > 1.5*float64(first)+32<<10 {
			t.Errorf("RSS grew from %d KB to %d KB", first, last)
		}
	}
	srv.stop(t)
}

var metricLine = regexp.MustCompile(`^(\w+) ([0-9.e+-]+)$`)

// sample reads the unlabelled series of /metrics.
func (s *server) sample(t *testing.T, c *http.Client) map[string]float64 {
	t.Helper()
	res, err := c.Get(s.base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	out := map[string]float64{}
	sc := bufio.NewScanner(res.Body)
	for sc.Scan() {
		if m := metricLine.FindStringSubmatch(sc.Text()); m != nil {
			out[m[1]], _ = strconv.ParseFloat(m[2], 64)
		}
	}
	return out
}

func (s *server) rssKB(t *testing.T) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", s.cmd.Process.Pid))
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VmRSS:"); ok {
			n, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return n
		}
	}
	return 0
}
