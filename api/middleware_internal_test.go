package api

import (
	"strings"
	"testing"
)

func TestSaneRequestID(t *testing.T) {
	for id, want := range map[string]bool{
		"":                       false,
		"trace-42":               true,
		"a.b_c:d-E9":             true,
		strings.Repeat("x", 128): true,
		strings.Repeat("x", 129): false,
		"bad id":                 false,
		"ünicode":                false,
		"semi;colon":             false,
	} {
		if got := saneRequestID(id); got != want {
			t.Errorf("saneRequestID(%q) = %v, want %v", id, got, want)
		}
	}
}
