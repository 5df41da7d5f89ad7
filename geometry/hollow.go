package geometry

import (
	"context"
	"errors"
	"math"
	"runtime"
	"slices"
	"sync"
)

// HollowOptions are the parameters of Hollow, in model units.
type HollowOptions struct {
	Wall  float64 // wall thickness to keep
	Voxel float64 // voxel edge; 0 means Wall/4
	// MinCavity: cavities with a smaller volume are left solid (0 means
	// Wall³), so thin regions do not get slivers of hollow.
	MinCavity float64
	Progress  func(float64)
}

// HollowStats describes a hollowing.
type HollowStats struct {
	Voxel        float64 // the voxel edge used
	Cavities     int     // inner shells in the result
	Dropped      int     // cavities smaller than MinCavity, left solid
	CavityVolume float64 // volume removed
	MinWall      float64 // measured: least distance from an inner vertex to the outer surface (0 if no cavity)
}

// Hollow returns m with cavities: its own triangles unchanged, plus an
// inward-facing inner surface at distance Wall inside it. m must be closed
// (the caller checks); inside is decided per connected region by ray
// parity, so internal voids and pockets that are open to the outside
// through slots narrower than a voxel stay what they are. Regions thinner
// than twice the wall get no cavity, and cavities smaller than MinCavity
// are dropped. The inner shells are closed, manifold, and Wall from the
// outer surface to within about a third of a voxel (the error of
// interpolating the distance between voxel centres where it has a crease), so no shell meets another. Moving the
// inner vertices onto the exact distance was tried: it folds triangles in
// concave regions, where the nearest point jumps.
func Hollow(ctx context.Context, m *Mesh, opt HollowOptions) (*Mesh, HollowStats, error) {
	var st HollowStats
	if len(m.Triangles) == 0 || opt.Wall <= 0 {
		return nil, st, errors.New("geometry: nothing to hollow")
	}
	progress := func(f float64) {
		if opt.Progress != nil {
			opt.Progress(f)
		}
	}
	if opt.Voxel <= 0 {
		opt.Voxel = opt.Wall / 4
	}
	if opt.MinCavity <= 0 {
		opt.MinCavity = opt.Wall * opt.Wall * opt.Wall
	}
	lo, hi := m.Bounds()
	h := gridVoxel(lo, hi, opt.Voxel, 3*opt.Voxel)
	st.Voxel = h
	g, err := newSparseGrid(lo, hi, h, 3*h)
	if err != nil {
		return nil, st, err
	}
	// The band reaches a voxel past the wall: every neighbour of a voxel
	// nearer than the wall is then exact, and so is the interpolation.
	wall := opt.Wall
	width := wall + h
	if err := g.seed(ctx, m); err != nil {
		return nil, st, err
	}
	progress(0.2)
	// Adjacent voxel centres on either side of the surface cannot both be
	// farther than half a voxel from it, and seeding gave every voxel that
	// near its exact distance, so the outside flood stays outside; the
	// band then only needs to grow inwards.
	thr := float32(0.6 * h)
	if err := g.markOutside(ctx, thr); err != nil {
		return nil, st, err
	}
	progress(0.3)
	if err := g.spread(ctx, m, width, insideOnly); err != nil {
		return nil, st, err
	}
	progress(0.5)

	// Candidate regions: voxels not reached and clear of the surface. The
	// field holds the candidates while components labels them, so the
	// distances are kept aside.
	dist := make(map[int]*[blockVoxels]float32)
	for bi, b := range g.blocks {
		if b == nil {
			g.bval[bi] = 1
			if g.bfl[bi]&flagOut == 0 {
				g.bval[bi] = -1
			}
			continue
		}
		d := b.d
		dist[bi] = &d
		for off := range b.d {
			b.d[off] = 1
			if b.fl[off]&flagOut == 0 && d[off] > thr {
				b.d[off] = -1
			}
		}
	}
	comps, err := g.components(ctx)
	if err != nil {
		return nil, st, err
	}
	bvh := NewBVH(m)
	inside := make([]bool, len(comps)+1)
	for _, c := range comps {
		var i, j, k int
		if c.first.off < 0 {
			i, j, k = g.coords(int(c.first.bi), 0)
		} else {
			i, j, k = g.coords(int(c.first.bi), int(c.first.off))
		}
		inside[c.label] = insideByParity(bvh, m, g.centre(i, j, k))
	}
	progress(0.6)

	// The cavity field: wall − d inside, positive elsewhere.
	for bi, b := range g.blocks {
		if b == nil {
			if l := g.blab[bi]; l > 0 && inside[l] {
				g.bval[bi] = float32(wall - width)
			} else {
				g.bval[bi] = float32(wall)
			}
			continue
		}
		d := dist[bi]
		for off := range b.d {
			if l := b.tri[off]; l > 0 && inside[l] {
				b.d[off] = max(float32(wall)-d[off], float32(wall-width))
			} else {
				b.d[off] = float32(wall)
			}
		}
	}
	dist = nil
	cavities, err := g.components(ctx)
	if err != nil {
		return nil, st, err
	}
	minVoxels := int(math.Ceil(opt.MinCavity / (h * h * h)))
	drop := make([]bool, len(cavities)+1)
	for _, c := range cavities {
		if c.voxels < minVoxels {
			drop[c.label] = true
			st.Dropped++
		} else {
			st.Cavities++
		}
	}
	if st.Dropped > 0 {
		for bi, b := range g.blocks {
			if b == nil {
				if drop[g.blab[bi]] {
					g.bval[bi] = float32(wall)
				}
				continue
			}
			for off, l := range b.tri {
				if drop[l] {
					b.d[off] = float32(wall)
				}
			}
		}
	}
	progress(0.7)
	inner, err := g.extract(ctx)
	if err != nil {
		return nil, st, err
	}
	progress(0.85)
	// The extracted surface faces into the material; the cavity's walls
	// face into the cavity.
	for i := range inner.Triangles {
		t := &inner.Triangles[i]
		t[1], t[2] = t[2], t[1]
	}
	st.CavityVolume = -signedVolume(inner)
	if st.MinWall, err = minDistance(ctx, inner, m, bvh, wall+h/8); err != nil {
		return nil, st, err
	}
	out := &Mesh{
		Vertices:  make([]Vec3, 0, len(m.Vertices)+len(inner.Vertices)),
		Triangles: make([][3]uint32, 0, len(m.Triangles)+len(inner.Triangles)),
	}
	out.Vertices = append(append(out.Vertices, m.Vertices...), inner.Vertices...)
	out.Triangles = append(out.Triangles, m.Triangles...)
	base := uint32(len(m.Vertices))
	for _, t := range inner.Triangles {
		out.Triangles = append(out.Triangles, [3]uint32{t[0] + base, t[1] + base, t[2] + base})
	}
	progress(1)
	return out, st, nil
}

// insideByParity reports whether p is inside closed mesh m: the majority
// of three skewed rays cross it an odd number of times.
func insideByParity(h *BVH, m *Mesh, p v64) bool {
	odd := 0
	for _, d := range [3]v64{{1, 0.1234, 0.0567}, {-0.0789, 1, 0.2345}, {0.1357, -0.2468, 1}} {
		n := 0
		h.Raycast(m, p, d, func(uint32, float64) bool { n++; return true })
		odd += n & 1
	}
	return odd >= 2
}

func signedVolume(m *Mesh) float64 {
	vol := make([]float64, len(m.Triangles))
	measureTriangles(m, vol, 0)
	total := 0.0
	for _, v := range vol {
		total += v
	}
	return total
}

// minDistance is the least distance from a vertex of a to the surface of
// b (through b's BVH), at most limit, in parallel.
func minDistance(ctx context.Context, a, b *Mesh, h *BVH, limit float64) (float64, error) {
	if len(a.Vertices) == 0 {
		return 0, nil
	}
	workers := runtime.GOMAXPROCS(0)
	best := make([]float64, workers)
	var wg sync.WaitGroup
	per := (len(a.Vertices) + workers - 1) / workers
	for w := range workers {
		best[w] = limit
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w * per; i < min(len(a.Vertices), (w+1)*per); i++ {
				if i&0xfff == 0 && ctx.Err() != nil {
					return
				}
				if d2, ok := h.Nearest(b, to64(a.Vertices[i]), best[w]*best[w]); ok {
					best[w] = math.Sqrt(d2)
				}
			}
		}()
	}
	wg.Wait()
	if ctx.Err() != nil {
		return 0, ctx.Err()
	}
	return slices.Min(best), nil
}
