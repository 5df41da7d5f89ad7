package geometry

import (
	"context"
	"testing"
)

func BenchmarkWrapExtruder(b *testing.B) {
	m := readCorpusSTL(b, "prusa_extruder-body.stl")
	for b.Loop() {
		if _, _, err := Shrinkwrap(context.Background(), m, wrapPreset(m, 128)); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkHollowExtruder(b *testing.B) {
	m := readCorpusSTL(b, "prusa_extruder-body.stl")
	for b.Loop() {
		if _, _, err := Hollow(context.Background(), m, HollowOptions{Wall: 2, Voxel: 0.5}); err != nil {
			b.Fatal(err)
		}
	}
}
