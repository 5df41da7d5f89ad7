package geometry

import (
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
	o := newPLYScalarOut(w, len(m.Vertices), len(m.Triangles), scalarName)
	for i, v := range m.Vertices {
		o.vertex(v, scalar[i], colours[i])
	}
	for _, t := range m.Triangles {
		o.face(t)
	}
	return o.flush()
}

// WritePLYFacetScalars is WritePLYScalars with a value per facet: each
// facet gets its own three vertices carrying value(facet), so facets show
// their own values instead of blending with their neighbours' at shared
// vertices.
func WritePLYFacetScalars(w io.Writer, m *Mesh, scalarName string, value func(tri int) (float32, [3]uint8)) error {
	o := newPLYScalarOut(w, 3*len(m.Triangles), len(m.Triangles), scalarName)
	for i, t := range m.Triangles {
		v, c := value(i)
		for _, vi := range t {
			o.vertex(m.Vertices[vi], v, c)
		}
	}
	for i := range m.Triangles {
		o.face([3]uint32{uint32(3 * i), uint32(3*i + 1), uint32(3*i + 2)})
	}
	return o.flush()
}

// plyScalarOut encodes WritePLYScalars' layout straight into a 1 MiB
// buffer, written out whenever it fills: a buffered writer's call per
// 19-byte record was most of the encoding's time.
type plyScalarOut struct {
	w   io.Writer
	buf []byte
	err error
}

func newPLYScalarOut(w io.Writer, vertices, faces int, scalarName string) *plyScalarOut {
	o := &plyScalarOut{w: w, buf: make([]byte, 0, 1<<20)}
	o.buf = fmt.Appendf(o.buf, "ply\nformat binary_little_endian 1.0\ncomment meshops\nelement vertex %d\nproperty float x\nproperty float y\nproperty float z\nproperty float %s\nproperty uchar red\nproperty uchar green\nproperty uchar blue\nelement face %d\nproperty list uchar int vertex_indices\nend_header\n",
		vertices, safeName(scalarName), faces)
	return o
}

// room makes room for n more bytes.
func (o *plyScalarOut) room(n int) {
	if len(o.buf)+n > cap(o.buf) {
		o.flush()
	}
}

func (o *plyScalarOut) flush() error {
	if o.err == nil && len(o.buf) > 0 {
		_, o.err = o.w.Write(o.buf)
	}
	o.buf = o.buf[:0]
	return o.err
}

func (o *plyScalarOut) vertex(v Vec3, scalar float32, colour [3]uint8) {
	o.room(19)
	b := o.buf
	for k := range 3 {
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(v[k]))
	}
	b = binary.LittleEndian.AppendUint32(b, math.Float32bits(scalar))
	o.buf = append(b, colour[0], colour[1], colour[2])
}

func (o *plyScalarOut) face(t [3]uint32) {
	o.room(13)
	b := append(o.buf, 3)
	for k := range 3 {
		b = binary.LittleEndian.AppendUint32(b, t[k])
	}
	o.buf = b
}
