package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/meshops/meshops/internal/testenv"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestRunUsage(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		name string
		args []string
		env  map[string]string
		code int
		says string
	}{
		{"no command", []string{"meshops"}, nil, exitUsage, "Usage"},
		{"unknown command", []string{"meshops", "frobnicate"}, nil, exitUsage, "unknown command"},
		{"help", []string{"meshops", "help"}, nil, exitOK, "serve"},
		{"keys without subcommand", []string{"meshops", "keys"}, nil, exitUsage, "create, update, list or revoke"},
		{"keys create without name", []string{"meshops", "keys", "create", "--data-dir", t.TempDir()}, nil, exitUsage, "--name"},
		{"bad expiry", []string{"meshops", "keys", "create", "--name", "x", "--expires", "soon", "--data-dir", t.TempDir()}, nil, exitUsage, "--expires"},
		{"bad flag", []string{"meshops", "serve", "--no-such-flag"}, nil, exitUsage, "no-such-flag"},
		{"bad env value", []string{"meshops", "serve"}, map[string]string{"MESHOPS_MAX_FILE_BYTES": "lots"}, exitUsage, "MESHOPS_MAX_FILE_BYTES"},
		{"postgres not yet", []string{"meshops", "serve", "--database-url", "postgres://x", "--data-dir", t.TempDir()}, nil, exitUsage, "sqlite://"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			code := run(ctx, tc.args, env(tc.env), nil, &out, &errb)
			if code != tc.code || !strings.Contains(out.String()+errb.String(), tc.says) {
				t.Errorf("exit %d (want %d), output %q %q should say %q", code, tc.code, out.String(), errb.String(), tc.says)
			}
		})
	}
}

func TestKeysCommands(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	e := env(map[string]string{"MESHOPS_DATA_DIR": dir}) // the data dir from the environment
	var out, errb bytes.Buffer
	if code := run(ctx, []string{"meshops", "keys", "create", "--name", "ci", "--expires", "720h"}, e, nil, &out, &errb); code != 0 {
		t.Fatalf("create: %d %s", code, errb.String())
	}
	first := strings.SplitN(out.String(), "\n", 2)[0]
	if !strings.HasPrefix(first, "mk_") || len(first) < 40 {
		t.Errorf("first line %q is not a key", first)
	}
	out.Reset()
	if code := run(ctx, []string{"meshops", "keys", "create", "--name", "ci"}, e, nil, &out, &errb); code != exitError {
		t.Errorf("duplicate name: exit %d", code)
	}
	out.Reset()
	run(ctx, []string{"meshops", "keys", "list"}, e, nil, &out, &errb)
	if !strings.Contains(out.String(), "ci") || strings.Contains(out.String(), first) {
		t.Errorf("list shows %q (must name the key, never show it)", out.String())
	}
	out.Reset()
	if code := run(ctx, []string{"meshops", "keys", "create", "--name", "trial", "--max-uploads", "10", "--max-operations", "100", "--rate", "120/m", "--max-concurrent", "2"}, e, nil, &out, &errb); code != 0 {
		t.Fatalf("create with limits: %d %s", code, errb.String())
	}
	out.Reset()
	if code := run(ctx, []string{"meshops", "keys", "update", "trial", "--max-uploads", "0", "--expires", "48h"}, e, nil, &out, &errb); code != 0 {
		t.Fatalf("update: %d %s", code, errb.String())
	}
	if want := "uploads/month unlimited, operations/month 100, rate/s 2, concurrent 2"; !strings.Contains(out.String(), want) {
		t.Errorf("update says %q, want %q", out.String(), want)
	}
	for _, bad := range [][]string{{"--rate", "fast"}, {"--rate", "5/d"}, {"--max-uploads", "-1"}, {"--expires", "yesterday"}} {
		if code := run(ctx, append([]string{"meshops", "keys", "update", "trial"}, bad...), e, nil, &out, &errb); code != exitUsage {
			t.Errorf("update %v: exit %d", bad, code)
		}
	}
	if code := run(ctx, []string{"meshops", "keys", "update", "nobody", "--rate", "1"}, e, nil, &out, &errb); code != exitError {
		t.Errorf("update unknown: %d", code)
	}
	out.Reset()
	run(ctx, []string{"meshops", "keys", "list"}, e, nil, &out, &errb)
	if !strings.Contains(out.String(), "0/100") {
		t.Errorf("list does not show the operations quota: %q", out.String())
	}
	if code := run(ctx, []string{"meshops", "keys", "revoke", "ci"}, e, nil, &out, &errb); code != 0 {
		t.Errorf("revoke: %d", code)
	}
	if code := run(ctx, []string{"meshops", "keys", "revoke", "nobody"}, e, nil, &out, &errb); code != exitError {
		t.Errorf("revoke unknown: %d", code)
	}
	if _, err := filepath.Glob(filepath.Join(dir, "meshops.db")); err != nil {
		t.Error(err)
	}
}

// syncBuffer is a bytes.Buffer safe for a writer and a reader goroutine.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

func TestServeStopsOnCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	var out, errb syncBuffer
	done := make(chan int)
	go func() {
		done <- run(ctx, []string{"meshops", "serve"}, env(map[string]string{"MESHOPS_ADDR": "127.0.0.1:0", "MESHOPS_DATA_DIR": t.TempDir()}), nil, &out, &errb)
	}()
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(out.String(), "listening on") {
		if time.Now().After(deadline) {
			t.Fatalf("not listening: %s %s", out.String(), errb.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	if !strings.Contains(out.String(), "admin-key.txt") {
		t.Errorf("first start did not say where the admin key is: %s", out.String())
	}
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("exit %d: %s", code, errb.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not stop")
	}
}

func TestRunOperation(t *testing.T) {
	ctx := context.Background()
	corpus := testenv.CorpusDir(t)
	out := filepath.Join(t.TempDir(), "big.stl")
	cases := []struct {
		args []string
		code int
		says string
	}{
		{[]string{"meshops", "run", "scale", "--factor", "2", filepath.Join(corpus, "20mm-xyz-cube.stl"), "-o", out}, exitOK, `"z": 40`},
		{[]string{"meshops", "run", "scale", "--factor", "0.001", filepath.Join(corpus, "20mm-xyz-cube.stl")}, exitUsage, `"code":400`},
		{[]string{"meshops", "run", "reduce-triangles", "--accuracyMm", "1", "--maxAngle", "45.5", filepath.Join(corpus, "20mm-xyz-cube.stl")}, exitUsage, `"code":701`},
		{[]string{"meshops", "run", "export", "--format", "dxf", filepath.Join(corpus, "20mm-xyz-cube.stl")}, exitUsage, `"code":900`},
		{[]string{"meshops", "run", "analyze", filepath.Join(corpus, "stanford-bunny.obj")}, exitError, `"code":50`},
		{[]string{"meshops", "run", "analyze", filepath.Join(corpus, "cubes-touching.stl")}, exitOK, `"nonManifoldEdges": 1`},
		{[]string{"meshops", "run", "analyze", "/no/such/file.stl"}, exitError, "no such file"},
		{[]string{"meshops", "run", "analyze"}, exitUsage, "usage"},
	}
	for _, tc := range cases {
		var so, se bytes.Buffer
		code := run(ctx, tc.args, env(nil), nil, &so, &se)
		if code != tc.code || !strings.Contains(so.String()+se.String(), tc.says) {
			t.Errorf("%v: exit %d (want %d), output %s%s should say %s", tc.args[2:], code, tc.code, so.String(), se.String(), tc.says)
		}
	}
	if _, err := os.Stat(out); err != nil {
		t.Errorf("no output written: %v", err)
	}
}
