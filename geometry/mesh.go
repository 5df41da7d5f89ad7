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
type MeshBuilder struct {
	mesh  Mesh
	slots []weldSlot
	mask  uint32
}

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
	x, y, z := canon(v[0]), canon(v[1]), canon(v[2])
	i := hashVec(x, y, z) & b.mask
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
	b.mesh.Triangles = append(b.mesh.Triangles, [3]uint32{
		b.Vertex(Vec3{t[0], t[1], t[2]}),
		b.Vertex(Vec3{t[3], t[4], t[5]}),
		b.Vertex(Vec3{t[6], t[7], t[8]}),
	})
}

// AddIndexed adds a triangle of vertices already returned by Vertex.
func (b *MeshBuilder) AddIndexed(i, j, k uint32) {
	b.mesh.Triangles = append(b.mesh.Triangles, [3]uint32{i, j, k})
}

// Mesh returns the mesh built so far; the builder must not be used after.
func (b *MeshBuilder) Mesh() *Mesh {
	m := b.mesh
	b.slots = nil
	return &m
}
