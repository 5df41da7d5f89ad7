package geometry

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"math"
)

// ThinRegion is a connected patch of triangles thinner than the limit.
type ThinRegion struct {
	Triangles    int
	Area         float64
	MinThickness float64
	Min, Max     [3]float64
}

// ThinRegions groups the triangles whose thickness (PerTri) is below
// limit into edge-connected patches, largest first.
func (th *Thickness) ThinRegions(m *Mesh, limit float64) []ThinRegion {
	// Only the thin triangles are indexed (usually a few per cent).
	thin := &Mesh{Vertices: m.Vertices}
	var ids []uint32
	for i, t := range m.Triangles {
		if v := float64(th.PerTri[i]); v == v && v < limit {
			ids = append(ids, uint32(i))
			thin.Triangles = append(thin.Triangles, t)
		}
	}
	uf := newUnionFind(len(ids))
	newEdgeIndex(thin).each(func(_ uint32, uses []edgeUse) {
		for _, u := range uses[1:] {
			uf.union(uses[0].tri, u.tri)
		}
	})
	byRoot := map[uint32]*ThinRegion{}
	var order []uint32
	for j, t := range ids {
		i := int(t)
		root := uf.find(uint32(j))
		r := byRoot[root]
		if r == nil {
			r = &ThinRegion{MinThickness: math.Inf(1), Min: [3]float64{math.Inf(1), math.Inf(1), math.Inf(1)}, Max: [3]float64{math.Inf(-1), math.Inf(-1), math.Inf(-1)}}
			byRoot[root] = r
			order = append(order, root)
		}
		a, b, c := m.Triangle(i)
		r.Triangles++
		r.Area += norm(cross(sub(to64(b), to64(a)), sub(to64(c), to64(a)))) / 2
		r.MinThickness = math.Min(r.MinThickness, float64(th.PerTri[t]))
		for _, p := range []Vec3{a, b, c} {
			for k := range 3 {
				r.Min[k], r.Max[k] = math.Min(r.Min[k], float64(p[k])), math.Max(r.Max[k], float64(p[k]))
			}
		}
	}
	out := make([]ThinRegion, 0, len(order))
	for _, root := range order {
		out = append(out, *byRoot[root])
	}
	for i := 1; i < len(out); i++ { // largest area first (insertion sort: few regions)
		for j := i; j > 0 && out[j].Area > out[j-1].Area; j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

// WritePLYScalars writes binary PLY with, per vertex, x y z, a float
// property named scalarName (NaN where unknown) and red green blue colours.
func WritePLYScalars(w io.Writer, m *Mesh, scalarName string, scalar []float32, colours [][3]uint8) error {
	if len(scalar) != len(m.Vertices) || len(colours) != len(m.Vertices) {
		return fmt.Errorf("ply: %d scalars and %d colours for %d vertices", len(scalar), len(colours), len(m.Vertices))
	}
	bw := plyScalarHeader(w, len(m.Vertices), len(m.Triangles), scalarName)
	var rec plyScalarRecord
	for i, v := range m.Vertices {
		rec.put(bw, v, scalar[i], colours[i])
	}
	writePLYFaces(bw, m)
	return bw.Flush()
}

// WritePLYFacetScalars is WritePLYScalars with a value per facet: each
// facet gets its own three vertices carrying value(facet), so facets show
// their own values instead of blending with their neighbours' at shared
// vertices.
func WritePLYFacetScalars(w io.Writer, m *Mesh, scalarName string, value func(tri int) (float32, [3]uint8)) error {
	bw := plyScalarHeader(w, 3*len(m.Triangles), len(m.Triangles), scalarName)
	var rec plyScalarRecord
	for i, t := range m.Triangles {
		v, c := value(i)
		for _, vi := range t {
			rec.put(bw, m.Vertices[vi], v, c)
		}
	}
	var face [13]byte
	face[0] = 3
	for i := range m.Triangles {
		for k := range 3 {
			binary.LittleEndian.PutUint32(face[1+4*k:], uint32(3*i+k))
		}
		bw.Write(face[:])
	}
	return bw.Flush()
}

// plyScalarHeader starts a buffered PLY for WritePLYScalars' layout.
func plyScalarHeader(w io.Writer, vertices, faces int, scalarName string) *bufio.Writer {
	bw := bufio.NewWriterSize(w, 1<<20)
	fmt.Fprintf(bw, "ply\nformat binary_little_endian 1.0\ncomment meshops\nelement vertex %d\nproperty float x\nproperty float y\nproperty float z\nproperty float %s\nproperty uchar red\nproperty uchar green\nproperty uchar blue\nelement face %d\nproperty list uchar int vertex_indices\nend_header\n",
		vertices, safeName(scalarName), faces)
	return bw
}

// plyScalarRecord is one vertex of that layout.
type plyScalarRecord [19]byte

func (rec *plyScalarRecord) put(bw *bufio.Writer, v Vec3, scalar float32, colour [3]uint8) {
	for k := range 3 {
		binary.LittleEndian.PutUint32(rec[4*k:], math.Float32bits(v[k]))
	}
	binary.LittleEndian.PutUint32(rec[12:], math.Float32bits(scalar))
	rec[16], rec[17], rec[18] = colour[0], colour[1], colour[2]
	bw.Write(rec[:])
}
