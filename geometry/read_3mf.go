package geometry

import (
	"archive/zip"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"path"
	"strconv"
	"strings"
)

// Read3MF reads the geometry of a 3MF package: the model part named by the
// package relationships (3D/3dmodel.model by default), every mesh object,
// components, and the build items with their affine transforms. It returns
// the mesh and the model's unit in millimetres (the unit attribute: micron,
// millimeter, centimeter, inch, foot or meter).
//
// The zip is read with limits: at most 10,000 entries, and at most
// lim.MaxBytes (default 512 MiB) uncompressed XML, so a zip bomb stops
// early. XML entities are never expanded.
func Read3MF(r io.ReaderAt, size int64, lim Limits) (*Mesh, float64, error) {
	zr, err := zip.NewReader(r, size)
	if err != nil {
		return nil, 0, &FormatError{Format: "3mf", Msg: "not a zip package: " + err.Error()}
	}
	if len(zr.File) > 10000 {
		return nil, 0, &FormatError{Format: "3mf", Msg: fmt.Sprintf("%d zip entries (at most 10000)", len(zr.File))}
	}
	maxBytes := lim.MaxBytes
	if maxBytes <= 0 {
		maxBytes = 512 << 20
	}
	modelPath := find3MFModel(zr, maxBytes)
	var model *zip.File
	for _, f := range zr.File {
		if strings.EqualFold(strings.TrimPrefix(f.Name, "/"), modelPath) {
			model = f
		}
	}
	if model == nil {
		return nil, 0, &FormatError{Format: "3mf", Msg: "no 3D model part (" + modelPath + ") in the package"}
	}
	rc, err := model.Open()
	if err != nil {
		return nil, 0, &FormatError{Format: "3mf", Where: model.Name, Msg: err.Error()}
	}
	defer rc.Close()
	// Real model parts compress 5–10×; deflate reaches 1000× only on
	// degenerate input. Past 16 MiB, expanding over 100× stops as a bomb.
	left := min(maxBytes, max(16<<20, 100*int64(min(model.CompressedSize64, 1<<40))))
	lr := &limitedReader{r: rc, left: left}
	p := &threeMFParser{objects: map[string]*threeMFObject{}, lim: lim}
	if err := p.parse(xml.NewDecoder(lr)); err != nil {
		if lr.exceeded {
			msg := fmt.Sprintf("the model part is larger than %d bytes uncompressed", maxBytes)
			if left < maxBytes {
				msg = fmt.Sprintf("the model part expands more than 100× (%d compressed bytes to over %d): a zip bomb?", model.CompressedSize64, left)
			}
			return nil, 0, &FormatError{Format: "3mf", Where: model.Name, Msg: msg}
		}
		var fe *FormatError
		if errors.As(err, &fe) || errors.Is(err, ErrTooManyTriangles) {
			return nil, 0, err
		}
		return nil, 0, &FormatError{Format: "3mf", Where: model.Name, Msg: err.Error()}
	}
	m, err := p.mesh()
	return m, p.unitMM, err
}

// limitedReader fails once more than left bytes were asked for.
type limitedReader struct {
	r        io.Reader
	left     int64
	exceeded bool
}

func (l *limitedReader) Read(b []byte) (int, error) {
	if l.left <= 0 {
		l.exceeded = true
		return 0, errors.New("size limit exceeded")
	}
	if int64(len(b)) > l.left {
		b = b[:l.left]
	}
	n, err := l.r.Read(b)
	l.left -= int64(n)
	return n, err
}

// find3MFModel reads _rels/.rels for the 3D model part's path.
func find3MFModel(zr *zip.Reader, maxBytes int64) string {
	const def = "3D/3dmodel.model"
	for _, f := range zr.File {
		if f.Name != "_rels/.rels" {
			continue
		}
		rc, err := f.Open()
		if err != nil {
			return def
		}
		defer rc.Close()
		var rels struct {
			Rel []struct {
				Target string `xml:"Target,attr"`
				Type   string `xml:"Type,attr"`
			} `xml:"Relationship"`
		}
		if xml.NewDecoder(&limitedReader{r: rc, left: min(maxBytes, 1<<20)}).Decode(&rels) != nil {
			return def
		}
		for _, r := range rels.Rel {
			if strings.HasSuffix(r.Type, "/3dmodel") {
				return path.Clean(strings.TrimPrefix(r.Target, "/"))
			}
		}
	}
	return def
}

type affine [12]float64 // 3MF order: m00 m01 m02 m10 m11 m12 m20 m21 m22 m30 m31 m32

var identity = affine{1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0}

// apply maps p as a row vector: p' = [x y z 1] · M.
func (t *affine) apply(p Vec3) Vec3 {
	x, y, z := float64(p[0]), float64(p[1]), float64(p[2])
	return Vec3{
		float32(x*t[0] + y*t[3] + z*t[6] + t[9]),
		float32(x*t[1] + y*t[4] + z*t[7] + t[10]),
		float32(x*t[2] + y*t[5] + z*t[8] + t[11]),
	}
}

// then returns the transform "t, then u".
func (t *affine) then(u *affine) affine {
	var r affine
	for row := range 4 {
		for col := range 3 {
			var s float64
			for k := range 3 {
				s += t[row*3+k] * u[k*3+col]
			}
			if row == 3 {
				s += u[9+col]
			}
			r[row*3+col] = s
		}
	}
	return r
}

func parseAffine(s string) (affine, error) {
	if s == "" {
		return identity, nil
	}
	f := strings.Fields(s)
	if len(f) != 12 {
		return affine{}, fmt.Errorf("transform %q needs 12 numbers", s)
	}
	var t affine
	for i, x := range f {
		v, err := strconv.ParseFloat(x, 64)
		if err != nil || v != v {
			return affine{}, fmt.Errorf("transform %q: %q is not a number", s, x)
		}
		t[i] = v
	}
	return t, nil
}

type threeMFComponent struct {
	object string
	t      affine
}

type threeMFObject struct {
	vertices   []Vec3
	triangles  [][3]uint32
	components []threeMFComponent
}

type threeMFItem struct {
	object string
	t      affine
}

type threeMFParser struct {
	objects map[string]*threeMFObject
	items   []threeMFItem
	unitMM  float64
	lim     Limits
	tris    int
}

var threeMFUnits = map[string]float64{"micron": 0.001, "millimeter": 1, "centimeter": 10, "inch": 25.4, "foot": 304.8, "meter": 1000}

func (p *threeMFParser) parse(d *xml.Decoder) error {
	d.Strict = true
	p.unitMM = 1
	var obj *threeMFObject
	attr := func(se xml.StartElement, name string) string {
		for _, a := range se.Attr {
			if a.Name.Local == name {
				return a.Value
			}
		}
		return ""
	}
	bad := func(format string, args ...any) error {
		off := d.InputOffset()
		return &FormatError{Format: "3mf", Where: fmt.Sprintf("byte %d of the model", off), Msg: fmt.Sprintf(format, args...)}
	}
	for {
		tok, err := d.RawToken()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		switch se := tok.(type) {
		case xml.StartElement:
			switch se.Name.Local {
			case "model":
				if u := attr(se, "unit"); u != "" {
					mm, ok := threeMFUnits[u]
					if !ok {
						return bad("unknown unit %q", u)
					}
					p.unitMM = mm
				}
			case "object":
				obj = &threeMFObject{}
				p.objects[attr(se, "id")] = obj
			case "vertex":
				if obj == nil {
					return bad("vertex outside an object")
				}
				var v Vec3
				for k, name := range []string{"x", "y", "z"} {
					f, err := strconv.ParseFloat(attr(se, name), 32)
					if err != nil || f != f || f > maxFloat32 || f < -maxFloat32 {
						return bad("vertex %s=%q is not a finite number", name, attr(se, name))
					}
					v[k] = float32(f)
				}
				obj.vertices = append(obj.vertices, v)
			case "triangle":
				if obj == nil {
					return bad("triangle outside an object")
				}
				var t [3]uint32
				for k, name := range []string{"v1", "v2", "v3"} {
					n, err := strconv.ParseUint(attr(se, name), 10, 32)
					if err != nil || int(n) >= len(obj.vertices) {
						return bad("triangle %s=%q is not one of the object's %d vertices", name, attr(se, name), len(obj.vertices))
					}
					t[k] = uint32(n)
				}
				p.tris++
				if p.lim.MaxTriangles > 0 && p.tris > p.lim.MaxTriangles {
					return fmt.Errorf("%w: more than %d", ErrTooManyTriangles, p.lim.MaxTriangles)
				}
				obj.triangles = append(obj.triangles, t)
			case "component":
				if obj == nil {
					return bad("component outside an object")
				}
				t, err := parseAffine(attr(se, "transform"))
				if err != nil {
					return bad("%v", err)
				}
				obj.components = append(obj.components, threeMFComponent{attr(se, "objectid"), t})
			case "item":
				t, err := parseAffine(attr(se, "transform"))
				if err != nil {
					return bad("%v", err)
				}
				p.items = append(p.items, threeMFItem{attr(se, "objectid"), t})
			}
		case xml.EndElement:
			if se.Name.Local == "object" {
				obj = nil
			}
		case xml.Directive:
			return bad("DTDs and entity declarations are not allowed")
		}
	}
}

// mesh places every build item (or, with no build, every object) in one
// welded mesh, following components up to 16 levels deep.
func (p *threeMFParser) mesh() (*Mesh, error) {
	b := NewMeshBuilder(p.tris)
	items := p.items
	if len(items) == 0 {
		for id := range p.objects {
			items = append(items, threeMFItem{id, identity})
		}
	}
	maxTris := p.lim.MaxTriangles
	if maxTris <= 0 {
		maxTris = 100_000_000
	}
	var place func(id string, t affine, depth int) error
	place = func(id string, t affine, depth int) error {
		obj, ok := p.objects[id]
		if !ok {
			return &FormatError{Format: "3mf", Msg: fmt.Sprintf("build refers to object %q, which is not defined", id)}
		}
		if depth > 16 {
			return &FormatError{Format: "3mf", Msg: "components nest more than 16 levels (a cycle?)"}
		}
		idx := make([]uint32, len(obj.vertices))
		for i, v := range obj.vertices {
			idx[i] = b.Vertex(t.apply(v))
		}
		// Build items can place one object many times: check as we go so
		// instancing cannot inflate a small file into an unbounded mesh.
		if len(b.mesh.Triangles)+len(obj.triangles) > maxTris {
			return fmt.Errorf("%w: more than %d after placing build items", ErrTooManyTriangles, maxTris)
		}
		for _, tr := range obj.triangles {
			b.AddIndexed(idx[tr[0]], idx[tr[1]], idx[tr[2]])
		}
		for _, c := range obj.components {
			if err := place(c.object, c.t.then(&t), depth+1); err != nil {
				return err
			}
		}
		return nil
	}
	for _, it := range items {
		if err := place(it.object, it.t, 0); err != nil {
			return nil, err
		}
	}
	m := b.Mesh()
	if len(m.Triangles) == 0 {
		return nil, fmt.Errorf("%w: 3mf package has no triangles", ErrNoTriangles)
	}
	return m, nil
}
