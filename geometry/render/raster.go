package render

import (
	"math"
)

// draw renders strip s with the sample buffers buf into out (the strip's
// output rows, NRGBA). It reports a cancelled context (out is then blank).
func (im *Image) draw(s int, buf *samples, out []uint8) error {
	ss := im.ss
	sw := im.opt.Width * ss
	sh := stripRows * ss
	y0 := s * sh
	clear(buf.hit)
	for i := range buf.depth {
		buf.depth[i] = float32(math.Inf(-1))
	}
	err := im.ctx.Err()
	if err == nil && s < len(im.buckets) {
		for _, t := range im.buckets[s] {
			im.triangle(buf, t, y0, sw, sh)
		}
	}
	im.resolve(buf, s, sw, out)
	return err
}

// triangle rasterizes one triangle into the strip's samples. Each row's
// covered span is solved from the three edge functions (linear in x), so
// long thin triangles cost their rows and covered samples, not their
// bounding box. Edges are inclusive so shared edges leave no cracks; both
// windings are drawn (back faces get their own tint).
func (im *Image) triangle(buf *samples, t uint32, y0, sw, sh int) {
	tri := im.mesh.Triangles[t]
	a, b, c := im.pts[tri[0]], im.pts[tri[1]], im.pts[tri[2]]
	area := (b.x-a.x)*(c.y-a.y) - (b.y-a.y)*(c.x-a.x)
	if area == 0 {
		return
	}
	colour := im.shade(tri, area)
	minY := max(int(min(a.y, b.y, c.y)), y0)
	maxY := min(int(max(a.y, b.y, c.y))+1, y0+sh-1)
	inv := 1 / area
	// Barycentric weights as functions of the sample centre (fx, fy):
	// w0 = ((b.x−fx)(c.y−fy) − (b.y−fy)(c.x−fx))/area, and so on; each is
	// A·fx + B·fy + C.
	e := [3][3]float32{
		{(b.y - c.y) * inv, (c.x - b.x) * inv, (b.x*c.y - b.y*c.x) * inv},
		{(c.y - a.y) * inv, (a.x - c.x) * inv, (c.x*a.y - c.y*a.x) * inv},
		{(a.y - b.y) * inv, (b.x - a.x) * inv, (a.x*b.y - a.y*b.x) * inv},
	}
	vc := im.opt.VertexColors
	for py := minY; py <= maxY; py++ {
		fy := float32(py) + 0.5
		lo, hi := float32(0), float32(sw)
		empty := false
		var w [3]float32 // weights at fx = 0 for this row
		for k := range 3 {
			w[k] = e[k][1]*fy + e[k][2]
			switch A := e[k][0]; {
			case A > 0:
				lo = max(lo, -w[k]/A)
			case A < 0:
				hi = min(hi, -w[k]/A)
			case w[k] < 0:
				empty = true
			}
		}
		if empty || lo > hi {
			continue
		}
		x0 := max(int(math.Ceil(float64(lo-0.5))), 0)
		x1 := min(int(math.Floor(float64(hi-0.5))), sw-1)
		row := (py - y0) * sw
		for px := x0; px <= x1; px++ {
			fx := float32(px) + 0.5
			w0, w1, w2 := w[0]+e[0][0]*fx, w[1]+e[1][0]*fx, w[2]+e[2][0]*fx
			if w0 < -1e-6 || w1 < -1e-6 || w2 < -1e-6 { // rounding at the span ends
				continue
			}
			z := w0*a.z + w1*b.z + w2*c.z
			i := row + px
			if z <= buf.depth[i] {
				continue
			}
			buf.depth[i] = z
			buf.hit[i] = true
			o := i * 3
			if vc != nil {
				ca, cb, cc := vc[tri[0]], vc[tri[1]], vc[tri[2]]
				k := colour[3] // lighting intensity for vertex colours
				buf.rgb[o] = clamp8((w0*float32(ca.R) + w1*float32(cb.R) + w2*float32(cc.R)) * k)
				buf.rgb[o+1] = clamp8((w0*float32(ca.G) + w1*float32(cb.G) + w2*float32(cc.G)) * k)
				buf.rgb[o+2] = clamp8((w0*float32(ca.B) + w1*float32(cb.B) + w2*float32(cc.B)) * k)
			} else {
				buf.rgb[o], buf.rgb[o+1], buf.rgb[o+2] = uint8(colour[0]), uint8(colour[1]), uint8(colour[2])
			}
		}
	}
}

func clamp8(v float32) uint8 {
	if v >= 255 {
		return 255
	}
	if v <= 0 {
		return 0
	}
	return uint8(v)
}

// shade returns the flat colour of a triangle (RGB 0–255) and, in [3],
// the lighting intensity. The normal comes from the projected corners (y
// points down in sample space, hence the sign); faces turned away are lit
// as if turned toward the viewer, in the back colour.
func (im *Image) shade(tri [3]uint32, area float32) [4]float32 {
	a, b, c := im.pts[tri[0]], im.pts[tri[1]], im.pts[tri[2]]
	ux, uy, uz := float64(b.x-a.x), -float64(b.y-a.y), float64(b.z-a.z)
	vx, vy, vz := float64(c.x-a.x), -float64(c.y-a.y), float64(c.z-a.z)
	n := [3]float64{uy*vz - uz*vy, uz*vx - ux*vz, ux*vy - uy*vx}
	l := math.Sqrt(n[0]*n[0] + n[1]*n[1] + n[2]*n[2])
	base := baseColour
	if l == 0 {
		return [4]float32{float32(base[0] * 200), float32(base[1] * 200), float32(base[2] * 200), 0.8}
	}
	n = [3]float64{n[0] / l, n[1] / l, n[2] / l}
	if n[2] < 0 {
		n = [3]float64{-n[0], -n[1], -n[2]}
		base = backColour
	}
	light := 0.28 + 0.62*math.Max(0, n[0]*keyLight[0]+n[1]*keyLight[1]+n[2]*keyLight[2]) +
		0.25*math.Max(0, n[0]*fillLight[0]+n[1]*fillLight[1]+n[2]*fillLight[2])
	light = math.Min(light, 1.1)
	return [4]float32{float32(math.Min(255, base[0]*light*255)), float32(math.Min(255, base[1]*light*255)),
		float32(math.Min(255, base[2]*light*255)), float32(light)}
}

// resolve averages each pixel's samples into im.pix: coverage becomes
// alpha (transparent background) or a blend with the background colour.
func (im *Image) resolve(buf *samples, s, sw int, out []uint8) {
	ss := im.ss
	bg := im.opt.Background
	rows := min(stripRows, im.opt.Height-s*stripRows)
	n := float32(ss * ss)
	for y := range rows {
		for x := range im.opt.Width {
			var r, g, b, cover float32
			for dy := range ss {
				i := (y*ss+dy)*sw + x*ss
				for dx := range ss {
					if buf.hit[i+dx] {
						o := (i + dx) * 3
						r += float32(buf.rgb[o])
						g += float32(buf.rgb[o+1])
						b += float32(buf.rgb[o+2])
						cover++
					}
				}
			}
			o := (y*im.opt.Width + x) * 4
			switch {
			case cover == 0:
				if im.opt.Transparent {
					out[o], out[o+1], out[o+2], out[o+3] = 0, 0, 0, 0
				} else {
					out[o], out[o+1], out[o+2], out[o+3] = bg.R, bg.G, bg.B, 255
				}
			case im.opt.Transparent:
				out[o], out[o+1], out[o+2] = uint8(r/cover), uint8(g/cover), uint8(b/cover)
				out[o+3] = uint8(255 * cover / n)
			default:
				rest := n - cover
				out[o] = uint8((r + rest*float32(bg.R)) / n)
				out[o+1] = uint8((g + rest*float32(bg.G)) / n)
				out[o+2] = uint8((b + rest*float32(bg.B)) / n)
				out[o+3] = 255
			}
		}
	}
}
