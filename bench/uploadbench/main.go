// Command uploadbench measures upload throughput against a running meshops
// over loopback: single uploads of a file, chunked uploads of it, and a large
// streamed upload while sampling the server's peak RSS from /proc.
//
//	uploadbench -url http://127.0.0.1:8080 -key $KEY -file igea_loop1.stl -pid $(pidof meshops)
package main

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
)

func main() {
	base := flag.String("url", "http://127.0.0.1:8080", "meshops base URL")
	key := flag.String("key", os.Getenv("MESHOPS_KEY"), "API key")
	file := flag.String("file", "", "STL file to upload")
	runs := flag.Int("runs", 5, "repetitions (median reported)")
	chunkMiB := flag.Int("chunk-mib", 4, "chunk size for chunked uploads")
	bigMiB := flag.Int("big-mib", 0, "also stream a synthetic binary STL of this many MiB and report the server's peak RSS")
	pid := flag.Int("pid", 0, "server pid, for RSS sampling")
	flag.Parse()
	data, err := os.ReadFile(*file)
	if err != nil {
		fail(err)
	}
	api := *base + "/api/v1"
	single := measure(*runs, len(data), func() {
		mustStatus(201, post(api+"/files?name=bench.stl", *key, bytes.NewReader(data), int64(len(data))))
	})
	chunked := measure(*runs, len(data), func() {
		id := uuid.NewString()
		size := *chunkMiB << 20
		n := 0
		for off := 0; off < len(data); off += size {
			end := min(off+size, len(data))
			req, _ := http.NewRequest("PUT", fmt.Sprintf("%s/uploads/%s/chunks/%d", api, id, n), bytes.NewReader(data[off:end]))
			req.Header.Set("Authorization", "Bearer "+*key)
			mustStatus(200, do(req))
			n++
		}
		mustStatus(201, post(api+"/uploads/"+id+"/commit", *key, strings.NewReader(`{"name":"bench.stl"}`), -1))
	})
	fmt.Printf("file %s (%.1f MB)\n", *file, float64(len(data))/1e6)
	fmt.Printf("single upload : median %.3f s  %.0f MB/s\n", single, float64(len(data))/1e6/single)
	fmt.Printf("chunked (%d MiB): median %.3f s  %.0f MB/s\n", *chunkMiB, chunked, float64(len(data))/1e6/chunked)
	if *bigMiB > 0 {
		bigUpload(api, *key, *bigMiB, *pid)
	}
}

// bigUpload streams a valid binary STL of about sizeMiB without holding it,
// sampling the server's VmHWM (peak RSS) from /proc.
func bigUpload(api, key string, sizeMiB, pid int) {
	facets := (int64(sizeMiB)<<20 - 84) / 50
	size := 84 + 50*facets
	pr, pw := io.Pipe()
	go func() {
		hdr := make([]byte, 84)
		hdr[80], hdr[81], hdr[82], hdr[83] = byte(facets), byte(facets>>8), byte(facets>>16), byte(facets>>24)
		pw.Write(hdr)
		rec := make([]byte, 50*20000)
		rand.Read(rec)
		for i := 0; i < len(rec); i += 50 { // finite coordinates: clear exponent bits' top
			for j := 12; j < 48; j += 4 {
				rec[i+j+3] &= 0x3f
			}
		}
		left := facets
		for left > 0 {
			n := min(left, 20000)
			if _, err := pw.Write(rec[:50*n]); err != nil {
				return
			}
			left -= n
		}
		pw.Close()
	}()
	var peak atomic.Int64
	stop := make(chan struct{})
	if pid > 0 {
		go func() {
			for {
				select {
				case <-stop:
					return
				case <-time.After(20 * time.Millisecond):
					if kb := hwmKB(pid); kb > peak.Load() {
						peak.Store(kb)
					}
				}
			}
		}()
	}
	start := time.Now()
	mustStatus(201, post(api+"/files?name=big.stl", key, pr, size))
	secs := time.Since(start).Seconds()
	close(stop)
	fmt.Printf("streamed %d MiB binary STL: %.2f s  %.0f MB/s", sizeMiB, secs, float64(size)/1e6/secs)
	if pid > 0 {
		fmt.Printf("  server peak RSS (VmHWM) %.1f MB", float64(hwmKB(pid))/1024)
	}
	fmt.Println()
}

func hwmKB(pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if f := strings.Fields(l); len(f) >= 2 && f[0] == "VmHWM:" {
			n, _ := strconv.ParseInt(f[1], 10, 64)
			return n
		}
	}
	return 0
}

func measure(runs, _ int, fn func()) float64 {
	fn() // warm-up
	var t []float64
	for range runs {
		start := time.Now()
		fn()
		t = append(t, time.Since(start).Seconds())
	}
	sort.Float64s(t)
	return t[len(t)/2]
}

func post(url, key string, body io.Reader, size int64) *http.Response {
	req, _ := http.NewRequest("POST", url, body)
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/octet-stream")
	if size >= 0 {
		req.ContentLength = size
	}
	return do(req)
}

func do(req *http.Request) *http.Response {
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		fail(err)
	}
	return res
}

func mustStatus(want int, res *http.Response) {
	defer res.Body.Close()
	if res.StatusCode != want {
		var e any
		json.NewDecoder(res.Body).Decode(&e)
		fail(fmt.Errorf("status %d, want %d: %v", res.StatusCode, want, e))
	}
	io.Copy(io.Discard, res.Body)
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "uploadbench:", err)
	os.Exit(1)
}
