package geometry

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestAddTriangleWeldsLikeVertex checks AddTriangle's batched welding
// against Vertex one corner at a time: the same vertices in the same
// order, across batches, with −0 welded to +0, and with the table grown
// from a hint far too small.
func TestAddTriangleWeldsLikeVertex(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	// Corners from a small grid, so that most repeat, some far apart.
	coord := func() float32 {
		c := float32(rng.IntN(8)) - 4
		if c == 0 && rng.IntN(2) == 0 {
			c = math.Float32frombits(0x80000000) // −0
		}
		return c
	}
	var tris [][9]float32
	for i := range 5*weldBatch + 17 {
		var tr [9]float32
		for k := range tr {
			tr[k] = coord()
			if i >= 5*weldBatch {
				tr[k] += 100 // new vertices in the last, partial batch
			}
		}
		tris = append(tris, tr)
	}
	batched := NewMeshBuilder(4)
	single := NewMeshBuilder(4)
	for i := range tris {
		batched.AddTriangle(&tris[i])
		tr := &tris[i]
		single.AddIndexed(single.Vertex(Vec3{tr[0], tr[1], tr[2]}), single.Vertex(Vec3{tr[3], tr[4], tr[5]}), single.Vertex(Vec3{tr[6], tr[7], tr[8]}))
	}
	// A Vertex call between batches welds what is pending first.
	mid := batched.Vertex(Vec3{-50, 2, 3})
	if want := single.Vertex(Vec3{-50, 2, 3}); mid != want {
		t.Fatalf("Vertex after AddTriangle: %d, want %d", mid, want)
	}
	a, b := batched.Mesh(), single.Mesh()
	if !slices.Equal(a.Vertices, b.Vertices) || !slices.Equal(a.Triangles, b.Triangles) {
		t.Fatalf("batched welding differs: %d vertices, %d triangles; one at a time: %d, %d",
			len(a.Vertices), len(a.Triangles), len(b.Vertices), len(b.Triangles))
	}
	if len(a.Vertices) >= 3*len(tris)/2 {
		t.Fatalf("%d vertices for %d triangles: corners were not welded", len(a.Vertices), len(tris))
	}
}
