package geometry

import (
	"strings"
)

func stringsReaderAt(s string) *strings.Reader { return strings.NewReader(s) }

func containsStr(s, sub string) bool { return strings.Contains(s, sub) }
