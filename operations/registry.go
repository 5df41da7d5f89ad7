package operations

import (
	"context"
	"encoding/json"
	"net/http"
	"sort"
	"strings"

	"github.com/meshops/meshops"
	"github.com/meshops/meshops/geometry"
)

// Params are one operation type's parameters, decoded strictly from JSON.
type Params interface {
	// Validate checks every parameter against its rule and the source file
	// (format, stored dimensions), returning the numbered *meshops.Error.
	Validate(src *meshops.File) error
}

// Runner is implemented by the parameters of types that have a worker.
type Runner interface {
	Run(ctx context.Context, job *Job) (any, error)
}

// Spec describes an operation type.
type Spec struct {
	Type string
	// New returns zero parameters with their defaults filled in.
	New func() Params
	// Sources: the type reads source formats (.obj, .ply, …) as well as STL.
	Sources bool
}

// Registry holds the operation types a server offers. It is a value built
// at start-up: no global registration.
type Registry struct {
	specs map[string]Spec
}

// NewRegistry returns a registry of specs.
func NewRegistry(specs ...Spec) *Registry {
	r := &Registry{specs: map[string]Spec{}}
	for _, s := range specs {
		r.specs[s.Type] = s
	}
	return r
}

// Default is the registry of API.md's ten operation types.
func Default() *Registry {
	return NewRegistry(
		Spec{Type: "analyze", New: func() Params { return &AnalyzeParams{} }},
		Spec{Type: "repair", New: func() Params { return &RepairParams{} }},
		Spec{Type: "scale", New: func() Params { return &ScaleParams{} }},
		Spec{Type: "export", New: func() Params { return &ExportParams{} }},
		Spec{Type: "stl-conversion", New: func() Params { return &ConversionParams{} }, Sources: true},
		Spec{Type: "wall-thickness-analysis", New: func() Params { return &WallThicknessParams{Accuracy: "Medium"} }},
		Spec{Type: "thumbnail", New: func() Params { return newThumbnailParams() }, Sources: true},
		Spec{Type: "reduce-triangles", New: func() Params { return newReduceParams() }},
		Spec{Type: "shrinkwrap-repair", New: func() Params { return &ShrinkwrapParams{Accuracy: "Smooth"} }},
		Spec{Type: "hollowing", New: func() Params { return &HollowingParams{} }},
	)
}

// With returns a copy of r with more specs (tests add test-only types).
func (r *Registry) With(specs ...Spec) *Registry {
	out := NewRegistry()
	for k, v := range r.specs {
		out.specs[k] = v
	}
	for _, s := range specs {
		out.specs[s.Type] = s
	}
	return out
}

// Types lists the registered types, sorted.
func (r *Registry) Types() []string {
	var t []string
	for k := range r.specs {
		t = append(t, k)
	}
	sort.Strings(t)
	return t
}

// Lookup finds a type.
func (r *Registry) Lookup(typ string) (Spec, bool) {
	s, ok := r.specs[typ]
	return s, ok
}

// Request is a decoded, not yet validated POST body.
type Request struct {
	Spec        Spec
	FileID      string
	CallbackURL string
	Params      Params
	RawParams   json.RawMessage // the parameters without fileId/callbackUrl, as sent
}

// Decode parses body for operation typ: unknown type → 404 code 13; bad
// JSON, wrong types, unknown or missing fields → 13 naming the parameter.
func (r *Registry) Decode(typ string, body []byte) (*Request, error) {
	spec, ok := r.specs[typ]
	if !ok {
		return nil, meshops.Errorf(meshops.CodeInvalidRequest, "Unknown operation type '%s'; the types are %s.", typ, strings.Join(r.Types(), ", ")).WithStatus(http.StatusNotFound)
	}
	var fields map[string]json.RawMessage
	if err := decodeStrict(body, &fields); err != nil {
		return nil, err
	}
	if fields == nil {
		return nil, meshops.InvalidParam("body", "A JSON object is required.")
	}
	req := &Request{Spec: spec, Params: spec.New()}
	if raw, ok := fields["fileId"]; !ok {
		return nil, meshops.InvalidParam("fileId", "It is required: the id of the file to work on.")
	} else if err := json.Unmarshal(raw, &req.FileID); err != nil {
		return nil, meshops.InvalidParam("fileId", "Expected a string.")
	}
	if raw, ok := fields["callbackUrl"]; ok {
		if err := json.Unmarshal(raw, &req.CallbackURL); err != nil {
			return nil, meshops.InvalidParam("callbackUrl", "Expected a string.")
		}
	}
	delete(fields, "fileId")
	delete(fields, "callbackUrl")
	rest, _ := json.Marshal(fields)
	if err := decodeStrict(rest, req.Params); err != nil {
		return nil, err
	}
	req.RawParams = rest
	return req, nil
}

// decodeStrict is meshops.DecodeJSON (code 13 naming the parameter).
func decodeStrict(body []byte, dst any) error { return meshops.DecodeJSON(body, dst) }

// CheckSource refuses source files an operation type cannot read (50).
func CheckSource(spec Spec, src *meshops.File) error {
	switch {
	case src.Format.IsSTL():
		return nil
	case spec.Sources:
		if _, ok := geometry.FormatForName("x." + string(src.Format)); ok {
			return nil
		}
	}
	if !spec.Sources {
		if _, ok := geometry.FormatForName("x." + string(src.Format)); ok {
			return meshops.ParamErrorf(meshops.CodeNotSTL, "fileId", "File %s is a source file (%s), not STL; convert it first with the stl-conversion operation.", src.ID, src.Format)
		}
	}
	return meshops.ParamErrorf(meshops.CodeNotSTL, "fileId", "File %s is %s, not a 3D model this operation can read.", src.ID, src.Format)
}
