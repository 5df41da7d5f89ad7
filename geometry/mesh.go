package geometry

import (
	"math"
)

// Vec3 is a point or direction in model units.
type Vec3 = [3]float32

// Mesh is an indexed triangle mesh: each triangle names three entries of
// Vertices, counter-clockwise seen from outside (right-hand rule normal).
// Readers weld exactly equal positions, so topology follows from indices.
type Mesh struct {
	Vertices  []Vec3
	Triangles [][3]uint32
}

// Bounds returns the axis-aligned bounding box of the vertices used by
// triangles (all vertices if the mesh has no triangles). An empty mesh has
// min > max.
func (m *Mesh) Bounds() (lo, hi Vec3) {
	var b box
	b.reset()
	for _, v := range m.Vertices {
		b.add(v[0], v[1], v[2])
	}
	return b.min, b.max
}

// Triangle returns the three corner positions of triangle i.
func (m *Mesh) Triangle(i int) (a, b, c Vec3) {
	t := m.Triangles[i]
	return m.Vertices[t[0]], m.Vertices[t[1]], m.Vertices[t[2]]
}

// Clone returns a deep copy.
func (m *Mesh) Clone() *Mesh {
	return &Mesh{Vertices: append([]Vec3(nil), m.Vertices...), Triangles: append([][3]uint32(nil), m.Triangles...)}
}

// MeshBuilder collects triangles as corner positions and welds corners
// whose float32 coordinates are equal (−0 equals +0) into shared vertices,
// in expected O(1) per corner with an open-addressing hash table whose slots
// carry the key, so a probe touches one cache line.
//
// Welding a large STL file is bound by those probes' cache misses: the
// table is far larger than the caches, and each new vertex is one. So
// AddTriangle welds in batches, first touching the slots of a batch's
// corners, so that their misses overlap instead of waiting one by one,
// and then resolving them in order (igea's read: about 170 → 125 ms).
// Splitting the table in two halves welded on two cores was slower on
// this machine: the misses of the two cores did not overlap as well.
type MeshBuilder struct {
	mesh  Mesh
	slots []weldSlot
	mask  uint32
	pend  [][9]float32          // AddTriangle's triangles not yet welded
	hash  [3 * weldBatch]uint32 // their corners' hashes
	sink  uint32                // keeps the touching loads
}

// weldBatch is how many triangles AddTriangle welds at once.
const weldBatch = 128

type weldSlot struct {
	x, y, z uint32 // canonical float bits
	idx     uint32 // vertex index + 1; 0 is empty
}

// NewMeshBuilder returns a builder sized for about triangles triangles
// (a hint only: it grows as needed, so a wrong hint costs time, not memory).
func NewMeshBuilder(triangles int) *MeshBuilder {
	b := &MeshBuilder{}
	hint := min(max(triangles, 16), 1<<26)
	b.mesh.Triangles = make([][3]uint32, 0, hint)
	b.mesh.Vertices = make([]Vec3, 0, hint/2+8)
	AdviseHuge(b.mesh.Triangles)
	AdviseHuge(b.mesh.Vertices)
	b.grow(hint / 2) // closed meshes have about half as many vertices as triangles
	return b
}

// grow sizes the table for vertices entries at most half full.
func (b *MeshBuilder) grow(vertices int) {
	n := uint32(64)
	for int(n) < 2*vertices {
		n <<= 1
	}
	b.slots = make([]weldSlot, n)
	AdviseHuge(b.slots)
	b.mask = n - 1
	for i, v := range b.mesh.Vertices {
		x, y, z := canon(v[0]), canon(v[1]), canon(v[2])
		j := hashVec(x, y, z) & b.mask
		for b.slots[j].idx != 0 {
			j = (j + 1) & b.mask
		}
		b.slots[j] = weldSlot{x, y, z, uint32(i) + 1}
	}
}

func hashVec(x, y, z uint32) uint32 {
	h := x*0x9E3779B1 ^ (y*0x85EBCA77 + 0x165667B1) ^ (z*0xC2B2AE3D + 0x27D4EB2F)
	h ^= h >> 15
	h *= 0x2C1B3C6D
	h ^= h >> 12
	return h
}

func canon(f float32) uint32 {
	b := math.Float32bits(f)
	if b == 0x80000000 { // −0 welds with +0
		return 0
	}
	return b
}

// Vertex returns the index of position v, adding it if it is new.
func (b *MeshBuilder) Vertex(v Vec3) uint32 {
	b.flush()
	x, y, z := canon(v[0]), canon(v[1]), canon(v[2])
	return b.vertex(v, x, y, z, hashVec(x, y, z))
}

// vertex is Vertex with the key and its hash.
func (b *MeshBuilder) vertex(v Vec3, x, y, z, h uint32) uint32 {
	i := h & b.mask
	for {
		s := &b.slots[i]
		if s.idx == 0 {
			break
		}
		if s.x == x && s.y == y && s.z == z {
			return s.idx - 1
		}
		i = (i + 1) & b.mask
	}
	idx := uint32(len(b.mesh.Vertices))
	b.mesh.Vertices = append(b.mesh.Vertices, v)
	b.slots[i] = weldSlot{x, y, z, idx + 1}
	if uint32(len(b.mesh.Vertices))*2 > b.mask {
		b.grow(len(b.mesh.Vertices) * 2)
	}
	return idx
}

// AddTriangle adds a triangle given by its 9 corner coordinates.
func (b *MeshBuilder) AddTriangle(t *[9]float32) {
	b.pend = append(b.pend, *t)
	if len(b.pend) == weldBatch {
		b.flush()
	}
}

// flush welds the pending triangles, if any (see MeshBuilder).
func (b *MeshBuilder) flush() {
	if len(b.pend) == 0 {
		return
	}
	sink := b.sink
	for i := range b.pend {
		t := &b.pend[i]
		for c := range 3 {
			h := hashVec(canon(t[3*c]), canon(t[3*c+1]), canon(t[3*c+2]))
			b.hash[3*i+c] = h
			sink += b.slots[h&b.mask].idx
		}
	}
	b.sink = sink
	for i := range b.pend {
		t := &b.pend[i]
		var tri [3]uint32
		for c := range 3 {
			v := Vec3{t[3*c], t[3*c+1], t[3*c+2]}
			tri[c] = b.vertex(v, canon(v[0]), canon(v[1]), canon(v[2]), b.hash[3*i+c])
		}
		b.mesh.Triangles = append(b.mesh.Triangles, tri)
	}
	b.pend = b.pend[:0]
}

// AddIndexed adds a triangle of vertices already returned by Vertex.
func (b *MeshBuilder) AddIndexed(i, j, k uint32) {
	b.flush()
	b.mesh.Triangles = append(b.mesh.Triangles, [3]uint32{i, j, k})
}

// Mesh returns the mesh built so far; the builder must not be used after.
func (b *MeshBuilder) Mesh() *Mesh {
	b.flush()
	m := b.mesh
	b.slots = nil
	return &m
}
