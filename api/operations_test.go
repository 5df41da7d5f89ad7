package api_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image/jpeg"
	"image/png"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/meshops/meshops/geometry"
	"github.com/meshops/meshops/internal/testenv"
	"github.com/meshops/meshops/operations"
)

// submit posts an operation; body is the JSON after "fileId".
func (h *harness) submit(key, typ, fileID, params string, hdr map[string]string) *response {
	h.t.Helper()
	body := fmt.Sprintf(`{"fileId":%q%s}`, fileID, params)
	if hdr == nil {
		hdr = map[string]string{}
	}
	hdr["Content-Type"] = "application/json"
	return h.do(req{method: "POST", path: "/api/v1/operations/" + typ, key: key, body: strings.NewReader(body), header: hdr})
}

// uploadID uploads data and returns the file id.
func (h *harness) uploadID(key, query string, data []byte) string {
	h.t.Helper()
	r := h.upload(key, query, data)
	if r.status != 201 {
		h.t.Fatalf("upload: %d %s", r.status, r.body)
	}
	return r.json(h.t)["id"].(string)
}

// await long-polls until the operation finishes.
func (h *harness) await(key, id string) map[string]any {
	h.t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		op := h.do(req{method: "GET", path: "/api/v1/operations/" + id + "?waitSeconds=10", key: key}).json(h.t)
		if op["isCompleted"] == true {
			return op
		}
	}
	h.t.Fatalf("operation %s did not finish", id)
	return nil
}

func (h *harness) run(key, typ, fileID, params string) map[string]any {
	h.t.Helper()
	r := h.submit(key, typ, fileID, params, nil)
	if r.status != 202 {
		h.t.Fatalf("%s: %d %s", typ, r.status, r.body)
	}
	op := h.await(key, r.json(h.t)["id"].(string))
	if op["status"] != "succeeded" {
		h.t.Fatalf("%s: %v", typ, op)
	}
	return op["result"].(map[string]any)
}

// TestOperationValidation sends every rule of every type, with the bounds
// (inclusive) accepted, and checks the numbered code and parameter.
func TestOperationValidation(t *testing.T) {
	h := newHarness(t)
	stl := h.uploadID(h.key, "", testenv.Corpus(t, "20mm-xyz-cube.stl"))
	big := h.uploadID(h.key, "", testenv.Corpus(t, "large_block.stl")) // 4572 mm long
	obj := h.uploadID(h.key, "?name=bunny.obj", testenv.Corpus(t, "stanford-bunny.obj"))
	other := h.uploadID(h.other, "", testenv.Corpus(t, "20mm-xyz-cube.stl"))
	const accepted, notYet = 202, -404 // -404: parameters valid, type has no worker yet (404 code 13)
	cases := []struct {
		typ, file, params string
		status, code      int
		param             string
	}{
		{"frobnicate", stl, ``, 404, 13, ""},
		{"analyze", stl, `,"extra":1`, 400, 13, "extra"},
		{"analyze", "", ``, 404, 52, "fileId"},
		{"analyze", other, ``, 404, 52, "fileId"},
		{"analyze", obj, ``, 415, 50, "fileId"},
		{"analyze", stl, ``, accepted, 0, ""},
		{"scale", stl, `,"factor":0.001`, 400, 400, "factor"},
		{"scale", stl, `,"factor":10000.5`, 400, 400, "factor"},
		{"scale", stl, `,"factor":0.01`, accepted, 0, ""},
		{"scale", stl, `,"factor":10000`, accepted, 0, ""},
		{"scale", stl, `,"factor":"2"`, 400, 13, "factor"},
		{"scale", stl, `,"factor":2,"axis":"W"`, 400, 401, "axis"},
		{"scale", stl, `,"factor":2,"axis":"Z"`, accepted, 0, ""},
		{"scale", stl, `,"factor":2,"targetSizeMm":30,"axis":"X"`, 400, 13, "factor"},
		{"scale", stl, ``, 400, 13, "factor"},
		{"scale", stl, `,"targetSizeMm":100`, 400, 13, "axis"},
		{"scale", stl, `,"targetSizeMm":0.1,"axis":"X"`, 400, 400, "targetSizeMm"},
		{"scale", stl, `,"targetSizeMm":100,"axis":"X"`, accepted, 0, ""},
		{"export", stl, `,"format":"dxf"`, 400, 900, "format"},
		{"export", stl, `,"format":3`, 400, 13, "format"},
		{"export", stl, `,"format":"gltf"`, accepted, 0, ""},
		{"stl-conversion", obj, `,"units":"furlong"`, 400, 200, "units"},
		{"stl-conversion", obj, `,"units":"m"`, accepted, 0, ""},
		{"wall-thickness-analysis", stl, `,"minWallThicknessMm":0.09`, 400, 300, "minWallThicknessMm"},
		{"wall-thickness-analysis", stl, `,"minWallThicknessMm":20.01`, 400, 300, "minWallThicknessMm"},
		{"wall-thickness-analysis", stl, `,"minWallThicknessMm":1,"accuracy":"Ultra"`, 400, 301, "accuracy"},
		{"wall-thickness-analysis", big, `,"minWallThicknessMm":1`, 400, 302, "fileId"},
		{"wall-thickness-analysis", stl, `,"minWallThicknessMm":0.1,"accuracy":"Low"`, accepted, 0, ""},
		{"wall-thickness-analysis", stl, `,"minWallThicknessMm":20`, accepted, 0, ""},
		{"thumbnail", stl, `,"width":9`, 400, 500, "width"},
		{"thumbnail", stl, `,"height":10001`, 400, 500, "height"},
		{"thumbnail", stl, `,"width":100.5`, 400, 500, "width"},
		{"thumbnail", stl, `,"cameraAngleY":-180.5`, 400, 501, "cameraAngleY"},
		{"thumbnail", stl, `,"cameraAngleZ":"a"`, 400, 13, "cameraAngleZ"},
		{"thumbnail", stl, `,"width":10,"height":10,"cameraAngleX":-180,"cameraAngleZ":180`, accepted, 0, ""},
		{"reduce-triangles", stl, `,"accuracyMm":10.1`, 400, 700, "accuracyMm"},
		{"reduce-triangles", stl, `,"accuracyMm":-0.1`, 400, 700, "accuracyMm"},
		{"reduce-triangles", stl, `,"accuracyMm":1,"maxAngle":45.5`, 400, 701, "maxAngle"},
		{"reduce-triangles", stl, `,"accuracyMm":1,"maxAngle":91`, 400, 701, "maxAngle"},
		{"reduce-triangles", stl, `,"accuracyMm":1,"numberOfIterations":0`, 400, 702, "numberOfIterations"},
		{"reduce-triangles", stl, `,"accuracyMm":1,"numberOfIterations":2.5`, 400, 702, "numberOfIterations"},
		{"reduce-triangles", stl, `,"accuracyMm":1,"maxAngle":"45"`, 400, 13, "maxAngle"},
		{"reduce-triangles", stl, `,"maxAngle":45`, 400, 13, "accuracyMm"},
		{"reduce-triangles", stl, `,"accuracyMm":0,"maxAngle":0,"numberOfIterations":1`, accepted, 0, ""},
		{"reduce-triangles", stl, `,"accuracyMm":10,"maxAngle":90,"numberOfIterations":1000`, accepted, 0, ""},
		{"shrinkwrap-repair", stl, `,"accuracy":"Fine"`, 400, 600, "accuracy"},
		{"shrinkwrap-repair", stl, `,"accuracy":"Detailed"`, accepted, 13, ""},
		{"hollowing", stl, `,"wallThicknessMm":0.99`, 400, 800, "wallThicknessMm"},
		{"hollowing", stl, `,"wallThicknessMm":20.5`, 400, 800, "wallThicknessMm"},
		{"hollowing", stl, `,"wallThicknessMm":1`, accepted, 13, ""},
		{"hollowing", stl, `,"wallThicknessMm":20`, accepted, 13, ""},
		{"analyze", stl, `,"callbackUrl":"ftp://example.com/x"`, 400, 13, "callbackUrl"},
		{"analyze", stl, `,"callbackUrl":"http://127.0.0.1:9/hook"`, 400, 13, "callbackUrl"},
		{"analyze", stl, `,"callbackUrl":"http://10.1.2.3/hook"`, 400, 13, "callbackUrl"},
	}
	for _, tc := range cases {
		name := fmt.Sprintf("%s%s", tc.typ, tc.params)
		r := h.submit(h.key, tc.typ, tc.file, tc.params, nil)
		code, msg, param := r.errorBody()
		switch {
		case tc.status == accepted:
			if r.status != 202 || r.header.Get("Location") == "" {
				t.Errorf("%s: want 202, got %d %s", name, r.status, r.body)
			}
		case tc.status == notYet:
			if r.status != 404 || code != 13 || !strings.Contains(msg, "not available yet") {
				t.Errorf("%s: want 404/13 'not available yet', got %d %s", name, r.status, r.body)
			}
		default:
			if r.status != tc.status || code != tc.code || param != tc.param {
				t.Errorf("%s: want %d code %d param %q, got %d %s", name, tc.status, tc.code, tc.param, r.status, r.body)
			}
		}
	}
	expect(t, "malformed JSON", h.do(req{method: "POST", path: "/api/v1/operations/analyze", key: h.key, body: strings.NewReader(`{"fileId":`)}), 400, 13)
	expect(t, "array body", h.do(req{method: "POST", path: "/api/v1/operations/analyze", key: h.key, body: strings.NewReader(`[1]`)}), 400, 13)
	expect(t, "no key", h.do(req{method: "POST", path: "/api/v1/operations/analyze", body: strings.NewReader(`{}`)}), 401, 12)
}

// readBack downloads a file and reads it with the geometry package.
func (h *harness) readBack(key, fileID string, f geometry.Format) *geometry.Mesh {
	h.t.Helper()
	r := h.do(req{method: "GET", path: "/api/v1/files/" + fileID + "/content", key: key})
	m, err := geometry.ReadModel(bytes.NewReader(r.body), int64(len(r.body)), f, geometry.Limits{})
	if err != nil {
		h.t.Fatalf("reading back %s: %v", fileID, err)
	}
	return m.Mesh
}

func TestOperationsOnCorpus(t *testing.T) {
	h := newHarness(t)
	body := h.uploadID(h.key, "?name=body.stl", testenv.Corpus(t, "prusa_extruder-body.stl"))

	rep := h.run(h.key, "analyze", body, "")["report"].(map[string]any)
	if rep["triangles"] != 21464.0 || rep["watertight"] != true || rep["volumeMm3"] != 28564.045684 || rep["units"] != "mm" {
		t.Errorf("analyze: %v", rep)
	}

	res := h.run(h.key, "scale", body, `,"factor":2.5,"axis":"Y"`)
	f := h.do(req{method: "GET", path: "/api/v1/files/" + res["fileId"].(string), key: h.key}).json(t)
	dims := f["mesh"].(map[string]any)["dimensionsMm"].(map[string]any)
	if f["sourceOperationId"] == nil || abs(dims["y"].(float64)-84.5*2.5) > 1e-4 || abs(dims["x"].(float64)-61.999983) > 1e-4 {
		t.Errorf("scale Y×2.5: %v", f)
	}
	res = h.run(h.key, "scale", body, `,"targetSizeMm":100,"axis":"X"`)
	m := h.readBack(h.key, res["fileId"].(string), geometry.FormatSTL)
	lo, hi := m.Bounds()
	if abs(float64(hi[0]-lo[0])-100) > 1e-3 || abs(float64(hi[1]-lo[1])-84.5*100/61.999983) > 1e-2 {
		t.Errorf("scale to 100 mm along X: %v %v", lo, hi)
	}

	for _, format := range []string{"stl", "stl-ascii", "obj", "ply", "off", "3mf", "glb", "gltf"} {
		res := h.run(h.key, "export", body, fmt.Sprintf(`,"format":%q`, format))
		gf := geometry.Format(strings.TrimSuffix(format, "-ascii"))
		if got := h.readBack(h.key, res["fileId"].(string), gf); len(got.Triangles) != 21464 {
			t.Errorf("export %s: %d triangles read back", format, len(got.Triangles))
		}
	}

	broken := h.uploadID(h.key, "?name=nonmanifold.stl", testenv.Corpus(t, "nonmanifold.stl"))
	res = h.run(h.key, "repair", broken, "")
	after, before := res["after"].(map[string]any), res["before"].(map[string]any)
	fixed := res["fixed"].(map[string]any)
	if before["watertight"] != false || after["watertight"] != true || fixed["holesFilled"] != 1.0 {
		t.Errorf("repair: %v", res)
	}
	r, _ := geometry.Analyze(t.Context(), h.readBack(h.key, res["fileId"].(string), geometry.FormatSTL), geometry.AnalyzeOptions{})
	if !r.Watertight || r.MisorientedEdges != 0 {
		t.Errorf("repaired file re-analysed: %+v", r)
	}
}

func abs(v float64) float64 {
	if v < 0 {
		return -v
	}
	return v
}

func TestConversion(t *testing.T) {
	h := newHarnessWithEngine(t, nil)
	cases := []struct {
		name, params string
		triangles    int
		dimX         float64 // mm, 0 to skip
	}{
		{"3dbenchy.3mf", "", 225154, 60.001},
		{"stanford-bunny.obj", `,"units":"m"`, 69451, 155.7},
		{"cycloidal.ply", "", 43368, 0},
		{"igea.ply", "", 268686, 0},
		{"comments.off", "", 12, 0},
		{"featuretype.3mf", "", 2208, 127}, // unit="inch": 5 in
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			id := h.uploadID(h.key, "?name="+tc.name, testenv.Corpus(t, tc.name))
			res := h.run(h.key, "stl-conversion", id, tc.params)
			m := h.readBack(h.key, res["fileId"].(string), geometry.FormatSTL)
			if len(m.Triangles) != tc.triangles || res["triangles"] != float64(tc.triangles) {
				t.Errorf("%d triangles (result %v), want %d", len(m.Triangles), res["triangles"], tc.triangles)
			}
			if tc.dimX > 0 {
				if x := res["dimensionsMm"].(map[string]any)["x"].(float64); abs(x-tc.dimX)/tc.dimX > 0.01 {
					t.Errorf("x extent %v mm, want about %v", x, tc.dimX)
				}
			}
		})
	}
	t.Run("corrupt source → 202", func(t *testing.T) {
		id := h.uploadID(h.key, "?name=broken.obj", []byte("v 0 0 0\nf 1 2 3\n"))
		op := h.await(h.key, h.submit(h.key, "stl-conversion", id, "", nil).json(t)["id"].(string))
		if op["status"] != "failed" || op["error"].(map[string]any)["code"] != 202.0 {
			t.Errorf("%v", op)
		}
		res := h.do(req{method: "GET", path: "/api/v1/operations/" + op["id"].(string) + "/result", key: h.key})
		expect(t, "result of a failed operation", res, 422, 202)
	})
	t.Run("an image → 201", func(t *testing.T) {
		png := append([]byte("\x89PNG\r\n\x1a\n"), make([]byte, 100)...)
		id := h.uploadID(h.key, "?name=photo.glb", png)
		op := h.await(h.key, h.submit(h.key, "stl-conversion", id, "", nil).json(t)["id"].(string))
		if op["status"] != "failed" || op["error"].(map[string]any)["code"] != 201.0 {
			t.Errorf("%v", op)
		}
	})
}

func TestConversionTooLarge(t *testing.T) {
	h := newHarnessWithEngine(t, func(c *operations.Config) { c.MaxTriangles = 1000 })
	id := h.uploadID(h.key, "?name=bunny.obj", testenv.Corpus(t, "stanford-bunny.obj"))
	op := h.await(h.key, h.submit(h.key, "stl-conversion", id, "", nil).json(t)["id"].(string))
	if op["status"] != "failed" || op["error"].(map[string]any)["code"] != 201.0 {
		t.Errorf("%v", op)
	}
}

var _ = json.Marshal
var _ = http.StatusOK

func TestThumbnailOperation(t *testing.T) {
	h := newHarness(t)
	id := h.uploadID(h.key, "?name=body.stl", testenv.Corpus(t, "prusa_extruder-body.stl"))
	res := h.run(h.key, "thumbnail", id, `,"width":320,"height":240,"background":"transparent","cameraAngleZ":45`)
	f := h.do(req{method: "GET", path: "/api/v1/files/" + res["fileId"].(string), key: h.key}).json(t)
	if f["format"] != "png" || f["name"] != "body-thumbnail.png" || f["mesh"] != nil {
		t.Errorf("file %v", f)
	}
	content := h.do(req{method: "GET", path: "/api/v1/files/" + res["fileId"].(string) + "/content", key: h.key})
	img, err := png.Decode(bytes.NewReader(content.body))
	if err != nil || img.Bounds().Dx() != 320 || img.Bounds().Dy() != 240 || content.header.Get("Content-Type") != "image/png" {
		t.Fatalf("png: %v %v %q", err, img, content.header.Get("Content-Type"))
	}
	if _, _, _, a := img.At(0, 0).RGBA(); a != 0 {
		t.Error("transparent background is opaque")
	}
	res = h.run(h.key, "thumbnail", id, `,"width":64,"height":64,"format":"jpeg","background":"#102030"`)
	content = h.do(req{method: "GET", path: "/api/v1/files/" + res["fileId"].(string) + "/content", key: h.key})
	if j, err := jpeg.Decode(bytes.NewReader(content.body)); err != nil || j.Bounds().Dx() != 64 {
		t.Errorf("jpeg: %v", err)
	}
}

func TestWallThicknessOperation(t *testing.T) {
	h := newHarness(t)
	id := h.uploadID(h.key, "?name=card.stl", testenv.Corpus(t, "voron_filament_card.stl"))
	res := h.run(h.key, "wall-thickness-analysis", id, `,"minWallThicknessMm":0.8,"accuracy":"Low"`)
	if res["hasThinWalls"] != true || res["samples"] != 5000.0 || len(res["thinRegions"].([]any)) == 0 {
		t.Errorf("card: %v", res)
	}
	hist := res["histogram"].(map[string]any)
	if len(hist["binEdgesMm"].([]any)) != 11 || len(hist["areaMm2"].([]any)) != 10 {
		t.Errorf("histogram %v", hist)
	}
	ply := res["fileId"].(string)
	f := h.do(req{method: "GET", path: "/api/v1/files/" + ply, key: h.key}).json(t)
	if f["format"] != "ply" || f["sourceOperationId"] == nil {
		t.Errorf("ply file %v", f)
	}
	// The thumbnail renders the PLY's colours.
	thumb := h.run(h.key, "thumbnail", ply, `,"width":64,"height":64`)
	content := h.do(req{method: "GET", path: "/api/v1/files/" + thumb["fileId"].(string) + "/content", key: h.key})
	img, err := png.Decode(bytes.NewReader(content.body))
	if err != nil {
		t.Fatal(err)
	}
	red := 0
	for y := range 64 {
		for x := range 64 {
			r, g, b, _ := img.At(x, y).RGBA()
			if r > 2*g && r > 2*b {
				red++
			}
		}
	}
	if red == 0 {
		t.Error("no thin (red) area in the thumbnail of the thickness PLY")
	}

	// A plain 20 mm cube has no thin wall. (The corpus's 20mm-xyz-cube.stl
	// does: the material between the arms of its cut-in X is a 51° wedge.)
	cube := h.uploadID(h.key, "", testenv.Cube(20))
	res = h.run(h.key, "wall-thickness-analysis", cube, `,"minWallThicknessMm":2`)
	if res["hasThinWalls"] != false || res["minThicknessMm"].(float64) < 19.9 {
		t.Errorf("20 mm cube: %v", res)
	}
}

func TestReduceTrianglesOperation(t *testing.T) {
	h := newHarness(t)
	id := h.uploadID(h.key, "?name=body.stl", testenv.Corpus(t, "prusa_extruder-body.stl"))
	res := h.run(h.key, "reduce-triangles", id, `,"accuracyMm":0.1,"maxAngle":30,"numberOfIterations":10`)
	if res["trianglesBefore"] != 21464.0 || res["trianglesAfter"].(float64) > 21464/3 || res["watertightBefore"] != true || res["watertightAfter"] != true {
		t.Errorf("result %v", res)
	}
	if d := res["maxDeviationMm"].(float64); d <= 0 || d > 0.1 {
		t.Errorf("maxDeviationMm %v", d)
	}
	if a := res["maxNormalDeviation"].(float64); a > 30 {
		t.Errorf("maxNormalDeviation %v", a)
	}
	f := h.do(req{method: "GET", path: "/api/v1/files/" + res["fileId"].(string), key: h.key}).json(t)
	if f["name"] != "body-reduced.stl" || f["mesh"].(map[string]any)["triangles"] != res["trianglesAfter"] {
		t.Errorf("file %v", f)
	}
	// targetTriangles stops early; the bound still holds.
	res = h.run(h.key, "reduce-triangles", id, `,"accuracyMm":1,"targetTriangles":10000`)
	if n := res["trianglesAfter"].(float64); n > 10000 || n < 9000 {
		t.Errorf("targetTriangles 10000 gave %v", n)
	}
}
