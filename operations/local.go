package operations

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/meshops/meshops"
	"github.com/meshops/meshops/geometry"
)

// LocalResult is what RunLocal produced.
type LocalResult struct {
	Result any    `json:"result"`
	Output string `json:"output,omitempty"` // the written file, if the operation writes one
}

// RunLocal runs one operation on a local file with the same registry and
// validation as the service: params are the operation's JSON parameters,
// output is where a produced file goes ("" = next to the input, named as
// the service would name it). Parameter errors are *meshops.Error values
// with their catalogue codes, exactly as over HTTP. report, if set, hears
// the operation's progress (0–100) as the service's status would.
func RunLocal(ctx context.Context, reg *Registry, typ string, params map[string]json.RawMessage, input, output string, units meshops.Units, report func(pct float64)) (*LocalResult, error) {
	src, err := localFile(input, units)
	if err != nil {
		return nil, err
	}
	body := map[string]json.RawMessage{"fileId": json.RawMessage(`"local"`)}
	for k, v := range params {
		body[k] = v
	}
	raw, _ := json.Marshal(body)
	req, err := reg.Decode(typ, raw)
	if err != nil {
		return nil, err
	}
	if err := CheckSource(req.Spec, src); err != nil {
		return nil, err
	}
	if err := req.Params.Validate(src); err != nil {
		return nil, err
	}
	runner, ok := req.Params.(Runner)
	if !ok {
		return nil, meshops.Errorf(meshops.CodeInvalidRequest, "Operation type '%s' is not available yet in this version; its parameters are valid.", typ)
	}
	out := &LocalResult{}
	job := &Job{
		Op:           &meshops.Operation{ID: "local", Type: typ, Params: req.RawParams},
		Source:       src,
		MaxTriangles: 5_000_000,
		Report:       report,
		Open: func(context.Context) (meshops.Blob, error) {
			f, err := os.Open(input)
			if err != nil {
				return nil, err
			}
			return &fileBlob{File: f, size: src.SizeBytes}, nil
		},
		Store: func(ctx context.Context, o Output) (*meshops.File, error) {
			path := output
			if path == "" {
				path = filepath.Join(filepath.Dir(input), o.Name)
			}
			n, err := writeAtomically(path, o.Write)
			if err != nil {
				return nil, err
			}
			out.Output = path
			f := &meshops.File{ID: path, Name: filepath.Base(path), Format: o.Format, SizeBytes: n, Units: o.Units}
			if o.Format.IsSTL() {
				if info, err := localFile(path, o.Units); err == nil {
					f.Mesh = info.Mesh
				}
			}
			return f, nil
		},
	}
	res, err := runner.Run(ctx, job)
	if err != nil {
		return nil, err
	}
	out.Result = res
	return out, nil
}

// localFile describes a local input as the service would a stored file.
func localFile(path string, units meshops.Units) (*meshops.File, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	file := &meshops.File{ID: path, Name: filepath.Base(path), SizeBytes: st.Size(), Units: units, CreatedAt: time.Now()}
	if sf := meshops.SourceFormatForName(path); sf != "" {
		file.Format = sf
		return file, nil
	}
	if !strings.EqualFold(filepath.Ext(path), ".stl") {
		return nil, meshops.Errorf(meshops.CodeNotSTL, "%s: unknown file type (use .stl, .obj, .ply, .off, .3mf, .glb or .gltf)", path)
	}
	s := geometry.NewSTLScanner(geometry.STLUnknown, nil)
	if _, err := io.Copy(s, f); err != nil {
		return nil, err
	}
	sum, err := s.Finish()
	if err != nil {
		return nil, meshops.Errorf(meshops.CodeNotSTL, "%s: %v", path, err)
	}
	file.Format = meshops.FormatSTLBinary
	if sum.Kind == geometry.STLASCII {
		file.Format = meshops.FormatSTLASCII
	}
	file.Mesh = &meshops.MeshInfo{Triangles: sum.Triangles}
	for i := range 3 {
		file.Mesh.BBoxMin[i], file.Mesh.BBoxMax[i] = float64(sum.Min[i]), float64(sum.Max[i])
	}
	return file, nil
}

type fileBlob struct {
	*os.File
	size int64
}

func (b *fileBlob) Size() int64 { return b.size }

// writeAtomically writes through a temporary file renamed into place.
func writeAtomically(path string, write func(io.Writer) error) (int64, error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".meshops-*")
	if err != nil {
		return 0, err
	}
	defer os.Remove(tmp.Name())
	cw := &countingWriter{w: tmp}
	if err := write(cw); err != nil {
		tmp.Close()
		return 0, err
	}
	if err := tmp.Close(); err != nil {
		return 0, err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return 0, fmt.Errorf("writing %s: %w", path, err)
	}
	return cw.n, nil
}

type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}
