// Command enginebench measures the operation engine's overhead against a
// running `meshops serve --enable-test-operations`: latency of a no-op
// operation from POST to "succeeded" as seen by a long-polling client, and
// how long 1,000 queued no-ops take to drain.
//
//	enginebench -url http://127.0.0.1:8080 -key $KEY [-n 200] [-drain 1000]
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"sort"
	"strings"
	"time"
)

func main() {
	base := flag.String("url", "http://127.0.0.1:8080", "meshops base URL")
	key := flag.String("key", os.Getenv("MESHOPS_KEY"), "API key")
	n := flag.Int("n", 200, "no-op operations timed one after another")
	drain := flag.Int("drain", 1000, "no-op operations queued at once, then drained")
	flag.Parse()
	api := *base + "/api/v1"
	// A tiny file for the no-ops to name.
	stl := make([]byte, 84+50)
	stl[80] = 1
	stl[84+12+4*3] = 0x80 // a non-degenerate-enough triangle: coordinates only need to be finite
	var f struct{ ID string }
	must(call("POST", api+"/files?name=noop.stl", *key, stl, &f, 201))
	body := []byte(`{"fileId":"` + f.ID + `","seconds":0}`)

	var lat []time.Duration
	for range *n {
		start := time.Now()
		var op struct{ ID, Status string }
		must(call("POST", api+"/operations/test-sleep", *key, body, &op, 202))
		for op.Status != "succeeded" {
			must(call("GET", api+"/operations/"+op.ID+"?waitSeconds=10", *key, nil, &op, 200))
		}
		lat = append(lat, time.Since(start))
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	fmt.Printf("no-op latency over %d operations: p50 %.1f ms, p90 %.1f ms, p99 %.1f ms, max %.1f ms\n", *n,
		ms(lat[len(lat)/2]), ms(lat[len(lat)*9/10]), ms(lat[len(lat)*99/100]), ms(lat[len(lat)-1]))

	start := time.Now()
	ids := make([]string, 0, *drain)
	for range *drain {
		var op struct{ ID string }
		must(call("POST", api+"/operations/test-sleep", *key, body, &op, 202))
		ids = append(ids, op.ID)
	}
	queued := time.Since(start)
	for _, id := range ids {
		var op struct{ Status string }
		for op.Status != "succeeded" {
			must(call("GET", api+"/operations/"+id+"?waitSeconds=30", *key, nil, &op, 200))
		}
	}
	fmt.Printf("%d no-ops: queued in %.2f s, all succeeded %.2f s after the first POST\n", *drain, queued.Seconds(), time.Since(start).Seconds())
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func call(method, url, key string, body []byte, out any, want int) error {
	var r io.Reader
	if body != nil {
		r = bytes.NewReader(body)
	}
	req, _ := http.NewRequest(method, url, r)
	req.Header.Set("Authorization", "Bearer "+key)
	if strings.HasSuffix(url, "noop.stl") {
		req.Header.Set("Content-Type", "application/octet-stream")
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != want {
		return fmt.Errorf("%s %s: %d %s", method, url, res.StatusCode, b)
	}
	return json.Unmarshal(b, out)
}

func must(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "enginebench:", err)
		os.Exit(1)
	}
}
