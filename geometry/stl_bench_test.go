package geometry

import (
	"bytes"
	"os"
	"testing"

	hstl "github.com/hschendel/stl"
)

func benchCorpus(b *testing.B, name string) []byte {
	data, err := os.ReadFile(corpusPath(b, name))
	if err != nil {
		b.Fatal(err)
	}
	return data
}

// BenchmarkSTLScan measures streaming validation + bounding box, fed in
// 256 KiB writes as an upload would be.
func BenchmarkSTLScan(b *testing.B) {
	for _, name := range []string{"igea_loop1.stl", "adis16480.stl"} {
		b.Run(name, func(b *testing.B) {
			data := benchCorpus(b, name)
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				if _, err := scanAll(data, 256<<10); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkHschendelSTL is the same files through github.com/hschendel/stl
// alone (streamed into a counting Writer), for the ratio in BENCHMARKS.md.
func BenchmarkHschendelSTL(b *testing.B) {
	for _, name := range []string{"igea_loop1.stl", "adis16480.stl"} {
		b.Run(name, func(b *testing.B) {
			data := benchCorpus(b, name)
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				var c countingSTLWriter
				if err := hstl.CopyAll(bytes.NewReader(data), &c); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

type countingSTLWriter struct{ n int }

func (c *countingSTLWriter) SetName(string)               {}
func (c *countingSTLWriter) SetBinaryHeader([]byte)       {}
func (c *countingSTLWriter) SetASCII(bool)                {}
func (c *countingSTLWriter) SetTriangleCount(uint32)      {}
func (c *countingSTLWriter) AppendTriangle(hstl.Triangle) { c.n++ }
