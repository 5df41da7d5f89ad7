// Package render draws meshes into images with a software rasterizer: no
// cgo, no GPU, no display. Views are orthographic, z-buffered, lit by a key
// and a fill light over an ambient term, and anti-aliased by supersampling.
// An image renders itself strip by strip as an encoder reads it top to
// bottom, so even a 10000×10000 picture holds only one strip in memory.
package render

import (
	"context"
	"errors"
	"image"
	"image/color"
	"math"
	"runtime"
	"sync"

	"github.com/meshops/meshops/geometry"
)

// Options describe a view.
type Options struct {
	Width, Height int
	// AngleX, AngleY, AngleZ rotate the model about its centre, in degrees,
	// first about X, then Y, then Z (right-handed: positive turns
	// counter-clockwise seen from the axis' positive end). All zero is the
	// default isometric view: from front-right-top, Z up.
	AngleX, AngleY, AngleZ float64
	Background             color.NRGBA
	Transparent            bool
	// VertexColors, if set (one per vertex), replace the base colour.
	VertexColors []color.NRGBA
	// Supersample is samples per pixel along each axis (0: 2, or 1 for
	// images over 16 megapixels, where pixels are already small).
	Supersample int
}

// Image is a rendered view implementing image.Image. Read it row by row
// from the top (as image/png and image/jpeg do); each strip is drawn when
// first read.
type Image struct {
	opt     Options
	mesh    *geometry.Mesh
	ss      int
	pts     []proj     // projected vertices, in sample space
	buckets [][]uint32 // strip → triangles overlapping it
	strip   int        // the strip in pix, -1 for none; -2: pix holds the whole image
	pix     []uint8    // NRGBA of the current strip's output rows (or of all rows)
	buf     *samples
	ctx     context.Context
	err     error
}

// samples is one strip's supersampled buffers.
type samples struct {
	depth []float32
	rgb   []uint8
	hit   []bool
}

func newSamples(n int) *samples {
	return &samples{depth: make([]float32, n), rgb: make([]uint8, n*3), hit: make([]bool, n)}
}

// wholeImagePixels: images up to this size are drawn at once, strips in
// parallel on every core; larger ones stream strip by strip.
const wholeImagePixels = 4 << 20

type proj struct{ x, y, z float32 }

// stripRows is the height of a strip in output pixels (a multiple of 16 so
// JPEG's 16-row bands never straddle two strips).
const stripRows = 64

var (
	baseColour = [3]float64{0.60, 0.72, 0.88}
	backColour = [3]float64{0.90, 0.55, 0.35} // inside surfaces seen through openings
	keyLight   = unit([3]float64{-0.45, 0.55, 0.70})
	fillLight  = unit([3]float64{0.65, -0.25, 0.45})
)

func unit(v [3]float64) [3]float64 {
	l := math.Sqrt(v[0]*v[0] + v[1]*v[1] + v[2]*v[2])
	return [3]float64{v[0] / l, v[1] / l, v[2] / l}
}

// ErrSize is returned for sizes outside 1…10000 px.
var ErrSize = errors.New("render: width and height must be 1 to 10000 px")

// New prepares a view of m: projects the vertices and buckets triangles
// by strip (O(n)); drawing happens as the image is read.
func New(ctx context.Context, m *geometry.Mesh, opt Options) (*Image, error) {
	if opt.Width < 1 || opt.Height < 1 || opt.Width > 10000 || opt.Height > 10000 {
		return nil, ErrSize
	}
	ss := opt.Supersample
	if ss <= 0 {
		ss = 2
		if opt.Width*opt.Height > 16_000_000 {
			ss = 1
		}
	}
	im := &Image{opt: opt, mesh: m, ss: ss, strip: -1, ctx: ctx}
	im.project()
	im.bucket()
	n := opt.Width * ss * stripRows * ss
	if opt.Width*opt.Height <= wholeImagePixels {
		im.drawAll(n)
		return im, im.err
	}
	im.pix = make([]uint8, opt.Width*stripRows*4)
	im.buf = newSamples(n)
	return im, ctx.Err()
}

// drawAll renders every strip, spread over the cores, into one buffer.
func (im *Image) drawAll(n int) {
	im.pix = make([]uint8, im.opt.Width*im.opt.Height*4)
	im.strip = -2
	strips := len(im.buckets)
	workers := min(runtime.GOMAXPROCS(0), strips)
	var wg sync.WaitGroup
	var mu sync.Mutex
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			buf := newSamples(n)
			for s := w; s < strips; s += workers {
				out := im.pix[s*stripRows*im.opt.Width*4:]
				if err := im.draw(s, buf, out); err != nil {
					mu.Lock()
					im.err = err
					mu.Unlock()
					return
				}
			}
		}()
	}
	wg.Wait()
}

// view returns the rows of the model-to-view rotation: screen right, screen
// up, and toward the viewer.
func view(ax, ay, az float64) [3][3]float64 {
	rad := math.Pi / 180
	cx, sx := math.Cos(ax*rad), math.Sin(ax*rad)
	cy, sy := math.Cos(ay*rad), math.Sin(ay*rad)
	cz, sz := math.Cos(az*rad), math.Sin(az*rad)
	rx := [3][3]float64{{1, 0, 0}, {0, cx, -sx}, {0, sx, cx}}
	ry := [3][3]float64{{cy, 0, sy}, {0, 1, 0}, {-sy, 0, cy}}
	rz := [3][3]float64{{cz, -sz, 0}, {sz, cz, 0}, {0, 0, 1}}
	model := mul(rz, mul(ry, rx))
	// Isometric camera from front-right-top (+x, −y, +z), Z up.
	s2, s3, s6 := math.Sqrt(2), math.Sqrt(3), math.Sqrt(6)
	cam := [3][3]float64{{1 / s2, 1 / s2, 0}, {-1 / s6, 1 / s6, 2 / s6}, {1 / s3, -1 / s3, 1 / s3}}
	return mul(cam, model)
}

func mul(a, b [3][3]float64) [3][3]float64 {
	var r [3][3]float64
	for i := range 3 {
		for j := range 3 {
			for k := range 3 {
				r[i][j] += a[i][k] * b[k][j]
			}
		}
	}
	return r
}

// project maps vertices to sample space, fitting the model with a 5 %
// margin and centring it: one pass rotates (keeping the extent), a second
// scales in place. Both halves of the work run on their own goroutines.
func (im *Image) project() {
	v := view(im.opt.AngleX, im.opt.AngleY, im.opt.AngleZ)
	// Centre on the first vertex (for float precision only: fitting uses
	// the projected extent, so no pass over the model's bounds is needed).
	var c [3]float64
	if len(im.mesh.Vertices) > 0 {
		p := im.mesh.Vertices[0]
		c = [3]float64{float64(p[0]), float64(p[1]), float64(p[2])}
	}
	im.pts = make([]proj, len(im.mesh.Vertices))
	geometry.AdviseHuge(im.pts)
	type extent struct{ minX, minY, maxX, maxY float64 }
	parts := parallel(len(im.pts), func(from, to int) extent {
		e := extent{math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)}
		for i := from; i < to; i++ {
			p := im.mesh.Vertices[i]
			d := [3]float64{float64(p[0]) - c[0], float64(p[1]) - c[1], float64(p[2]) - c[2]}
			x := v[0][0]*d[0] + v[0][1]*d[1] + v[0][2]*d[2]
			y := v[1][0]*d[0] + v[1][1]*d[1] + v[1][2]*d[2]
			z := v[2][0]*d[0] + v[2][1]*d[1] + v[2][2]*d[2]
			im.pts[i] = proj{float32(x), float32(y), float32(z)}
			e.minX, e.maxX = math.Min(e.minX, x), math.Max(e.maxX, x)
			e.minY, e.maxY = math.Min(e.minY, y), math.Max(e.maxY, y)
		}
		return e
	})
	e := extent{math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)}
	for _, p := range parts {
		e.minX, e.maxX = math.Min(e.minX, p.minX), math.Max(e.maxX, p.maxX)
		e.minY, e.maxY = math.Min(e.minY, p.minY), math.Max(e.maxY, p.maxY)
	}
	sw, sh := float64(im.opt.Width*im.ss), float64(im.opt.Height*im.ss)
	ext := math.Max((e.maxX-e.minX)/sw, (e.maxY-e.minY)/sh)
	scale := float32(0.9 / math.Max(ext, 1e-30))
	mx, my := float32((e.minX+e.maxX)/2), float32((e.minY+e.maxY)/2)
	hw, hh := float32(sw/2), float32(sh/2)
	parallel(len(im.pts), func(from, to int) struct{} {
		for i := from; i < to; i++ {
			p := &im.pts[i]
			*p = proj{(p.x-mx)*scale + hw, hh - (p.y-my)*scale, p.z * scale}
		}
		return struct{}{}
	})
}

// parallel splits [0, n) over the cores and returns each part's result.
func parallel[T any](n int, fn func(from, to int) T) []T {
	workers := max(min(runtime.GOMAXPROCS(0), n/65536), 1)
	out := make([]T, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out[w] = fn(n*w/workers, n*(w+1)/workers)
		}()
	}
	wg.Wait()
	return out
}

// bucket lists, for every strip, the triangles whose rows reach it: a
// counting pass sizes each list exactly, a second fills them.
func (im *Image) bucket() {
	n := (im.opt.Height + stripRows - 1) / stripRows
	sh := float32(stripRows * im.ss)
	sw := float32(im.opt.Width * im.ss)
	span := func(t [3]uint32) (int, int, bool) {
		a, b, c := im.pts[t[0]], im.pts[t[1]], im.pts[t[2]]
		if max(a.x, b.x, c.x) < 0 || min(a.x, b.x, c.x) > sw {
			return 0, -1, false
		}
		return max(int(min(a.y, b.y, c.y)/sh), 0), min(int(max(a.y, b.y, c.y)/sh), n-1), true
	}
	counts := make([]int, n)
	for _, t := range im.mesh.Triangles {
		if s0, s1, ok := span(t); ok {
			for s := s0; s <= s1; s++ {
				counts[s]++
			}
		}
	}
	im.buckets = make([][]uint32, n)
	for s := range im.buckets {
		im.buckets[s] = make([]uint32, 0, counts[s])
	}
	for i, t := range im.mesh.Triangles {
		if s0, s1, ok := span(t); ok {
			for s := s0; s <= s1; s++ {
				im.buckets[s] = append(im.buckets[s], uint32(i))
			}
		}
	}
}

// ColorModel is NRGBA (straight alpha).
func (im *Image) ColorModel() color.Model { return color.NRGBAModel }

// Bounds is the image rectangle.
func (im *Image) Bounds() image.Rectangle { return image.Rect(0, 0, im.opt.Width, im.opt.Height) }

// At returns the pixel, drawing its strip first if needed.
func (im *Image) At(x, y int) color.Color {
	if im.strip == -2 {
		o := (y*im.opt.Width + x) * 4
		return color.NRGBA{im.pix[o], im.pix[o+1], im.pix[o+2], im.pix[o+3]}
	}
	if s := y / stripRows; s != im.strip {
		im.strip = s
		if err := im.draw(s, im.buf, im.pix); err != nil && im.err == nil {
			im.err = err
		}
	}
	o := ((y-im.strip*stripRows)*im.opt.Width + x) * 4
	return color.NRGBA{im.pix[o], im.pix[o+1], im.pix[o+2], im.pix[o+3]}
}

// Err reports a cancellation seen while drawing (the image is then blank
// from that strip on).
func (im *Image) Err() error { return im.err }
