package geometry

import (
	"context"
	"testing"
)

// BenchmarkSimplify reduces corpus parts to 10 % at accuracyMm 10 and
// maxAngle 90, the settings of bench/compare-reduce.sh, without the read,
// the write and the process start that the whole command adds.
func BenchmarkSimplify(b *testing.B) {
	for _, name := range []string{"prusa_extruder-body.stl", "3dbenchy.stl", "igea_loop1.stl"} {
		b.Run(name, func(b *testing.B) {
			m := readCorpusSTL(b, name)
			opt := SimplifyOptions{MaxDeviation: 10, MaxAngle: 90, Passes: 1000, TargetTriangles: len(m.Triangles) / 10}
			for b.Loop() {
				if _, _, err := Simplify(context.Background(), m, opt); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
