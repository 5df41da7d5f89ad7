package render

import (
	"bytes"
	"context"
	"flag"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"os"
	"path/filepath"
	"testing"

	"github.com/meshops/meshops/geometry"
)

var update = flag.Bool("update", false, "rewrite the golden images in testdata")

var white = color.NRGBA{255, 255, 255, 255}

// cube is [0, s]³ with outward winding.
func cube(s float32) *geometry.Mesh {
	m := &geometry.Mesh{}
	for i := range 8 {
		m.Vertices = append(m.Vertices, geometry.Vec3{s * float32(i&1), s * float32(i>>1&1), s * float32(i>>2&1)})
	}
	m.Triangles = [][3]uint32{{0, 2, 1}, {1, 2, 3}, {4, 5, 6}, {5, 7, 6}, {0, 1, 4}, {1, 5, 4}, {2, 6, 3}, {3, 6, 7}, {0, 4, 2}, {2, 4, 6}, {1, 3, 5}, {3, 7, 5}}
	return m
}

func renderPNG(t *testing.T, m *geometry.Mesh, opt Options) image.Image {
	t.Helper()
	im, err := New(context.Background(), m, opt)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := Encode(&buf, im, "png"); err != nil {
		t.Fatal(err)
	}
	out, err := png.Decode(&buf)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// compareGolden allows each channel to differ by tol and up to 0.5 % of
// pixels to differ more (edge samples move with float rounding).
func compareGolden(t *testing.T, name string, got image.Image, tol int) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		f, _ := os.Create(path)
		png.Encode(f, got)
		f.Close()
		return
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("%v (run go test ./geometry/render -update)", err)
	}
	defer f.Close()
	want, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	if got.Bounds() != want.Bounds() {
		t.Fatalf("%s: size %v, want %v", name, got.Bounds(), want.Bounds())
	}
	bad := 0
	b := got.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			g := color.NRGBAModel.Convert(got.At(x, y)).(color.NRGBA)
			w := color.NRGBAModel.Convert(want.At(x, y)).(color.NRGBA)
			if d(g.R, w.R) > tol || d(g.G, w.G) > tol || d(g.B, w.B) > tol || d(g.A, w.A) > tol {
				bad++
			}
		}
	}
	if limit := b.Dx() * b.Dy() / 200; bad > limit {
		t.Errorf("%s: %d pixels differ by more than %d (limit %d)", name, bad, tol, limit)
	}
}

func d(a, b uint8) int {
	if a > b {
		return int(a - b)
	}
	return int(b - a)
}

func TestGoldenImages(t *testing.T) {
	compareGolden(t, "cube-iso.png", renderPNG(t, cube(1), Options{Width: 64, Height: 48, Background: white}), 3)
	compareGolden(t, "cube-rotated.png", renderPNG(t, cube(1), Options{Width: 48, Height: 48, AngleX: 30, AngleZ: -60, Background: color.NRGBA{20, 30, 40, 255}}), 3)
	compareGolden(t, "cube-transparent.png", renderPNG(t, cube(1), Options{Width: 40, Height: 40, Transparent: true}), 3)
}

func TestImageProperties(t *testing.T) {
	m := cube(20)
	img := renderPNG(t, m, Options{Width: 100, Height: 60, Background: white})
	if img.Bounds().Dx() != 100 || img.Bounds().Dy() != 60 {
		t.Fatalf("size %v", img.Bounds())
	}
	// Corners are background; the centre is the model, lit (not black).
	if c := color.NRGBAModel.Convert(img.At(0, 0)).(color.NRGBA); c != white {
		t.Errorf("corner %v", c)
	}
	if c := color.NRGBAModel.Convert(img.At(50, 30)).(color.NRGBA); c == white || int(c.R)+int(c.G)+int(c.B) < 100 {
		t.Errorf("centre %v", c)
	}
	// Transparent: alpha 0 outside, 255 inside, partial on edges.
	tr := renderPNG(t, m, Options{Width: 64, Height: 64, Transparent: true})
	if _, _, _, a := tr.At(0, 0).RGBA(); a != 0 {
		t.Errorf("transparent corner alpha %d", a)
	}
	if _, _, _, a := tr.At(32, 32).RGBA(); a != 0xffff {
		t.Errorf("centre alpha %d", a)
	}
	// An inside-out cube is drawn (back faces shaded), not left empty.
	flipped := cube(20)
	for i, t := range flipped.Triangles {
		flipped.Triangles[i] = [3]uint32{t[0], t[2], t[1]}
	}
	if c := color.NRGBAModel.Convert(renderPNG(t, flipped, Options{Width: 64, Height: 64, Background: white}).At(32, 32)).(color.NRGBA); c == white {
		t.Error("inside-out cube not drawn")
	}
	// Vertex colours replace the base colour.
	red := make([]color.NRGBA, len(m.Vertices))
	for i := range red {
		red[i] = color.NRGBA{255, 0, 0, 255}
	}
	if c := color.NRGBAModel.Convert(renderPNG(t, m, Options{Width: 64, Height: 64, Background: white, VertexColors: red}).At(32, 32)).(color.NRGBA); c.R < 100 || c.G > 20 || c.B > 20 {
		t.Errorf("vertex-coloured centre %v", c)
	}
	// JPEG encodes and decodes at the asked size.
	im, _ := New(context.Background(), m, Options{Width: 33, Height: 17, Background: white})
	var buf bytes.Buffer
	if err := Encode(&buf, im, "jpeg"); err != nil {
		t.Fatal(err)
	}
	if j, err := jpeg.Decode(&buf); err != nil || j.Bounds().Dx() != 33 || j.Bounds().Dy() != 17 {
		t.Errorf("jpeg: %v %v", err, j)
	}
	if _, err := New(context.Background(), m, Options{Width: 10001, Height: 10}); err != ErrSize {
		t.Errorf("oversize: %v", err)
	}
}

// TestStreamingLargeImage renders a big image strip by strip (beyond the
// whole-image size) and checks it matches a small render where they overlap
// in meaning: the centre pixel is the model.
func TestStreamingLargeImage(t *testing.T) {
	if testing.Short() {
		t.Skip("renders a 2500×2000 image; skipped with -short")
	}
	img := renderPNG(t, cube(5), Options{Width: 2500, Height: 2000, Background: white})
	if img.Bounds().Dx() != 2500 {
		t.Fatalf("size %v", img.Bounds())
	}
	if c := color.NRGBAModel.Convert(img.At(1250, 1000)).(color.NRGBA); c == white {
		t.Error("centre of a streamed image is background")
	}
}

func TestCorpusRendersEverything(t *testing.T) {
	for _, name := range []string{"teapot.stl", "soup.stl", "wuson.stl", "triangle.stl", "multibody.stl", "octagonal_pocket.stl"} {
		img := renderPNG(t, corpusMesh(t, name), Options{Width: 96, Height: 96, Background: white})
		covered := 0
		for y := range 96 {
			for x := range 96 {
				if color.NRGBAModel.Convert(img.At(x, y)).(color.NRGBA) != white {
					covered++
				}
			}
		}
		if covered < 96*96/50 {
			t.Errorf("%s: only %d pixels drawn", name, covered)
		}
	}
}
