package geometry

import (
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strings"
)

// ReadGLB reads a binary glTF 2.0 file (JSON chunk + BIN chunk).
func ReadGLB(r io.Reader, lim Limits) (*Mesh, error) {
	var hdr [12]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil || string(hdr[:4]) != "glTF" {
		return nil, &FormatError{Format: "glb", Msg: "a GLB file starts with 'glTF'"}
	}
	if v := binary.LittleEndian.Uint32(hdr[4:]); v != 2 {
		return nil, &FormatError{Format: "glb", Msg: fmt.Sprintf("glTF version %d is not supported (only 2)", v)}
	}
	var jsonChunk, bin []byte
	for i := 0; i < 2; i++ {
		var ch [8]byte
		if _, err := io.ReadFull(r, ch[:]); err != nil {
			break
		}
		n, typ := binary.LittleEndian.Uint32(ch[:4]), binary.LittleEndian.Uint32(ch[4:])
		// Read the chunk without trusting its declared length for allocation.
		data, err := io.ReadAll(io.LimitReader(r, int64(n)))
		if err != nil || uint32(len(data)) != n {
			return nil, &FormatError{Format: "glb", Msg: fmt.Sprintf("chunk %d is truncated (declares %d bytes)", i, n)}
		}
		switch typ {
		case 0x4E4F534A:
			jsonChunk = data
		case 0x004E4942:
			bin = data
		}
	}
	if jsonChunk == nil {
		return nil, &FormatError{Format: "glb", Msg: "no JSON chunk"}
	}
	return readGLTFDoc("glb", jsonChunk, bin, lim)
}

// ReadGLTF reads a glTF 2.0 JSON file whose buffers are embedded as data
// URIs (a single uploaded file cannot refer to other files).
func ReadGLTF(r io.Reader, lim Limits) (*Mesh, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	return readGLTFDoc("gltf", data, nil, lim)
}

type gltfDoc struct {
	Asset struct {
		Version string `json:"version"`
	} `json:"asset"`
	Scene  *int `json:"scene"`
	Scenes []struct {
		Nodes []int `json:"nodes"`
	} `json:"scenes"`
	Nodes []struct {
		Mesh        *int      `json:"mesh"`
		Children    []int     `json:"children"`
		Matrix      []float64 `json:"matrix"`
		Translation []float64 `json:"translation"`
		Rotation    []float64 `json:"rotation"`
		Scale       []float64 `json:"scale"`
	} `json:"nodes"`
	Meshes []struct {
		Primitives []struct {
			Attributes map[string]int `json:"attributes"`
			Indices    *int           `json:"indices"`
			Mode       *int           `json:"mode"`
		} `json:"primitives"`
	} `json:"meshes"`
	Accessors []struct {
		BufferView    *int   `json:"bufferView"`
		ByteOffset    int    `json:"byteOffset"`
		ComponentType int    `json:"componentType"`
		Count         int    `json:"count"`
		Type          string `json:"type"`
		Sparse        any    `json:"sparse"`
	} `json:"accessors"`
	BufferViews []struct {
		Buffer     int `json:"buffer"`
		ByteOffset int `json:"byteOffset"`
		ByteLength int `json:"byteLength"`
		ByteStride int `json:"byteStride"`
	} `json:"bufferViews"`
	Buffers []struct {
		ByteLength int    `json:"byteLength"`
		URI        string `json:"uri"`
	} `json:"buffers"`
}

type mat4 [16]float64 // column-major, as glTF stores it

var mat4Identity = mat4{1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1}

func (a *mat4) mul(b *mat4) mat4 {
	var r mat4
	for c := range 4 {
		for row := range 4 {
			var s float64
			for k := range 4 {
				s += a[k*4+row] * b[c*4+k]
			}
			r[c*4+row] = s
		}
	}
	return r
}

func (a *mat4) apply(p Vec3) Vec3 {
	x, y, z := float64(p[0]), float64(p[1]), float64(p[2])
	return Vec3{
		float32(a[0]*x + a[4]*y + a[8]*z + a[12]),
		float32(a[1]*x + a[5]*y + a[9]*z + a[13]),
		float32(a[2]*x + a[6]*y + a[10]*z + a[14]),
	}
}

func readGLTFDoc(format string, data, bin []byte, lim Limits) (*Mesh, error) {
	bad := func(f string, args ...any) error {
		return &FormatError{Format: format, Msg: fmt.Sprintf(f, args...)}
	}
	var doc gltfDoc
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, bad("invalid JSON: %v", err)
	}
	if !strings.HasPrefix(doc.Asset.Version, "2") {
		return nil, bad("asset.version %q is not 2.x", doc.Asset.Version)
	}
	buffers := make([][]byte, len(doc.Buffers))
	for i, b := range doc.Buffers {
		switch {
		case b.URI == "" && i == 0 && bin != nil:
			buffers[i] = bin
		case strings.HasPrefix(b.URI, "data:"):
			_, payload, ok := strings.Cut(b.URI, ";base64,")
			if !ok {
				return nil, bad("buffer %d: only base64 data URIs are supported", i)
			}
			raw, err := base64.StdEncoding.DecodeString(payload)
			if err != nil {
				return nil, bad("buffer %d: invalid base64", i)
			}
			buffers[i] = raw
		default:
			return nil, bad("buffer %d refers to an external file %q; upload a .glb or a .gltf with embedded buffers", i, b.URI)
		}
		if len(buffers[i]) < b.ByteLength {
			return nil, bad("buffer %d has %d bytes, declares %d", i, len(buffers[i]), b.ByteLength)
		}
	}
	// accessor returns the bytes of each element of accessor a.
	accessor := func(a int, wantType string) (elems func(i int) []byte, count, comp int, err error) {
		if a < 0 || a >= len(doc.Accessors) {
			return nil, 0, 0, bad("accessor %d does not exist", a)
		}
		acc := doc.Accessors[a]
		if acc.Type != wantType {
			return nil, 0, 0, bad("accessor %d is %s, expected %s", a, acc.Type, wantType)
		}
		if acc.Sparse != nil || acc.BufferView == nil {
			return nil, 0, 0, bad("accessor %d: sparse or view-less accessors are not supported", a)
		}
		size := map[int]int{5120: 1, 5121: 1, 5122: 2, 5123: 2, 5125: 4, 5126: 4}[acc.ComponentType]
		if size == 0 {
			return nil, 0, 0, bad("accessor %d: unknown component type %d", a, acc.ComponentType)
		}
		n := map[string]int{"SCALAR": 1, "VEC3": 3}[acc.Type]
		elem := size * n
		v := *acc.BufferView
		if v < 0 || v >= len(doc.BufferViews) {
			return nil, 0, 0, bad("accessor %d: buffer view %d does not exist", a, v)
		}
		bv := doc.BufferViews[v]
		if bv.Buffer < 0 || bv.Buffer >= len(buffers) {
			return nil, 0, 0, bad("buffer view %d: buffer %d does not exist", v, bv.Buffer)
		}
		stride := bv.ByteStride
		if stride == 0 {
			stride = elem
		}
		buf := buffers[bv.Buffer]
		if bv.ByteOffset < 0 || bv.ByteLength < 0 || bv.ByteOffset+bv.ByteLength > len(buf) || acc.Count < 0 || acc.ByteOffset < 0 || stride < elem {
			return nil, 0, 0, bad("buffer view %d lies outside its buffer", v)
		}
		view := buf[bv.ByteOffset : bv.ByteOffset+bv.ByteLength]
		if acc.Count > 0 && acc.ByteOffset+stride*(acc.Count-1)+elem > len(view) {
			return nil, 0, 0, bad("accessor %d (%d elements) reads past its buffer view", a, acc.Count)
		}
		return func(i int) []byte { o := acc.ByteOffset + i*stride; return view[o : o+elem] }, acc.Count, acc.ComponentType, nil
	}

	maxTris := lim.MaxTriangles
	if maxTris <= 0 {
		maxTris = 100_000_000
	}
	b := NewMeshBuilder(1024)
	addMesh := func(mi int, world *mat4) error {
		if mi < 0 || mi >= len(doc.Meshes) {
			return bad("mesh %d does not exist", mi)
		}
		for pi, prim := range doc.Meshes[mi].Primitives {
			mode := 4
			if prim.Mode != nil {
				mode = *prim.Mode
			}
			if mode < 4 || mode > 6 {
				continue // points and lines carry no surface
			}
			pos, ok := prim.Attributes["POSITION"]
			if !ok {
				return bad("mesh %d primitive %d has no POSITION", mi, pi)
			}
			el, nv, comp, err := accessor(pos, "VEC3")
			if err != nil {
				return err
			}
			if comp != 5126 {
				return bad("mesh %d primitive %d: POSITION must be float", mi, pi)
			}
			idx := make([]uint32, nv)
			for i := range nv {
				e := el(i)
				var v Vec3
				for k := range 3 {
					f := math.Float32frombits(binary.LittleEndian.Uint32(e[4*k:]))
					if f != f || math.IsInf(float64(f), 0) {
						return bad("mesh %d primitive %d: vertex %d is not finite", mi, pi, i)
					}
					v[k] = f
				}
				idx[i] = b.Vertex(world.apply(v))
			}
			order := make([]uint32, 0, nv)
			if prim.Indices != nil {
				iel, ni, icomp, err := accessor(*prim.Indices, "SCALAR")
				if err != nil {
					return err
				}
				for i := range ni {
					e := iel(i)
					var k uint32
					switch icomp {
					case 5121:
						k = uint32(e[0])
					case 5123:
						k = uint32(binary.LittleEndian.Uint16(e))
					case 5125:
						k = binary.LittleEndian.Uint32(e)
					default:
						return bad("mesh %d primitive %d: indices must be unsigned", mi, pi)
					}
					if int(k) >= nv {
						return bad("mesh %d primitive %d: index %d is not one of the %d vertices", mi, pi, k, nv)
					}
					order = append(order, k)
				}
			} else {
				for i := range nv {
					order = append(order, uint32(i))
				}
			}
			add := func(a, c, d uint32) error {
				if len(b.mesh.Triangles) >= maxTris {
					return fmt.Errorf("%w: more than %d", ErrTooManyTriangles, maxTris)
				}
				b.AddIndexed(idx[a], idx[c], idx[d])
				return nil
			}
			switch mode {
			case 4:
				for i := 0; i+2 < len(order); i += 3 {
					if err := add(order[i], order[i+1], order[i+2]); err != nil {
						return err
					}
				}
			case 5:
				for i := 0; i+2 < len(order); i++ {
					a, c := order[i], order[i+1]
					if i%2 == 1 {
						a, c = c, a
					}
					if err := add(a, c, order[i+2]); err != nil {
						return err
					}
				}
			case 6:
				for i := 1; i+1 < len(order); i++ {
					if err := add(order[0], order[i], order[i+1]); err != nil {
						return err
					}
				}
			}
		}
		return nil
	}
	var visit func(n int, parent *mat4, depth int) error
	visit = func(n int, parent *mat4, depth int) error {
		if n < 0 || n >= len(doc.Nodes) {
			return bad("node %d does not exist", n)
		}
		if depth > 64 {
			return bad("nodes nest more than 64 levels (a cycle?)")
		}
		nd := doc.Nodes[n]
		local := nodeMatrix(nd.Matrix, nd.Translation, nd.Rotation, nd.Scale)
		world := parent.mul(&local)
		if nd.Mesh != nil {
			if err := addMesh(*nd.Mesh, &world); err != nil {
				return err
			}
		}
		for _, c := range nd.Children {
			if err := visit(c, &world, depth+1); err != nil {
				return err
			}
		}
		return nil
	}
	var roots []int
	switch {
	case doc.Scene != nil && *doc.Scene >= 0 && *doc.Scene < len(doc.Scenes):
		roots = doc.Scenes[*doc.Scene].Nodes
	case len(doc.Scenes) > 0:
		roots = doc.Scenes[0].Nodes
	}
	if roots == nil && len(doc.Nodes) == 0 {
		for mi := range doc.Meshes { // no nodes at all: meshes as they are
			if err := addMesh(mi, &mat4Identity); err != nil {
				return nil, err
			}
		}
	}
	for _, n := range roots {
		if err := visit(n, &mat4Identity, 0); err != nil {
			return nil, err
		}
	}
	m := b.Mesh()
	if len(m.Triangles) == 0 {
		return nil, fmt.Errorf("%w: %s file has no triangle primitives", ErrNoTriangles, format)
	}
	return m, nil
}

// nodeMatrix is the node's local transform: its matrix, or T·R·S.
func nodeMatrix(m, t, r, s []float64) mat4 {
	if len(m) == 16 {
		var out mat4
		copy(out[:], m)
		return out
	}
	out := mat4Identity
	if len(r) == 4 {
		x, y, z, w := r[0], r[1], r[2], r[3]
		out = mat4{
			1 - 2*(y*y+z*z), 2 * (x*y + z*w), 2 * (x*z - y*w), 0,
			2 * (x*y - z*w), 1 - 2*(x*x+z*z), 2 * (y*z + x*w), 0,
			2 * (x*z + y*w), 2 * (y*z - x*w), 1 - 2*(x*x+y*y), 0,
			0, 0, 0, 1,
		}
	}
	if len(s) == 3 {
		for c := range 3 {
			for row := range 3 {
				out[c*4+row] *= s[c]
			}
		}
	}
	if len(t) == 3 {
		out[12], out[13], out[14] = t[0], t[1], t[2]
	}
	return out
}
