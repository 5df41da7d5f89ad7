package geometry

import (
	"context"
	"errors"
	"math"
	"slices"
)

// WrapOptions are the parameters of Shrinkwrap, in model units.
type WrapOptions struct {
	Voxel float64 // voxel edge
	// Closing is the closing radius: holes, gaps and slots narrower than
	// about twice this are bridged; the wrap follows the surface elsewhere.
	Closing float64
	// Offset is how far outside the surface the wrap lies, at least one
	// voxel: the field is sampled at voxel centres, and a sharp tip between
	// them is only enclosed if the wrap passes more than half a voxel
	// diagonal (0.87 voxels) away from it.
	Offset float64
	// Closed says m is watertight (no open or non-manifold edge): the
	// distance band is then computed outside the surface only, about half
	// the work on a solid part.
	Closed   bool
	Progress func(float64)
}

// WrapStats describes a wrap.
type WrapStats struct {
	Voxel      float64 // the voxel edge used (coarser than asked for if the grid would not fit)
	Components int     // separate solids before bridging
	Bridges    int     // bridges added to join them into one shell
	// TrianglesMC is the size of the marching-cubes surface before the
	// staircase was simplified away.
	TrianglesMC int
}

// Shrinkwrap returns one closed, manifold, outward-facing shell that
// encloses every triangle of m, whatever state m is in (a soup, holes,
// self-intersections, inverted or duplicate facets, many shells).
//
// It is a morphological closing on a distance field: the region farther
// than Closing from every triangle and reachable from outside is the
// outside; the wrap is where the distance to that outside region reaches
// Closing − Offset. Each outside voxel y next to the surface stands for the
// ball of radius d(y) − Closing around it that lies outside, which makes
// the distance to the outside region max over y of (d(y) − |x − y|) exact
// on flat and convex parts (the wrap then lies at Offset from the surface)
// and fills concave parts narrower than the closing radius. Separate solids
// (far-apart pieces) are joined by bridges (capsules of 1.5 voxels' radius
// between their closest voxels, nearest first), so the result is always
// one shell.
func Shrinkwrap(ctx context.Context, m *Mesh, opt WrapOptions) (*Mesh, WrapStats, error) {
	var st WrapStats
	if len(m.Triangles) == 0 {
		return nil, st, errors.New("geometry: nothing to wrap")
	}
	progress := func(f float64) {
		if opt.Progress != nil {
			opt.Progress(f)
		}
	}
	// The grid's parallel stages work in slabs along z: a flat part lying
	// in x–y would give them two or three slabs, so the model is turned
	// (a cyclic swap of axes, a rotation) to lie along z, and the result
	// turned back.
	m, turn := turnLongestToZ(m)
	lo, hi := m.Bounds()
	ratio := opt.Closing / opt.Voxel
	off := opt.Offset / opt.Voxel
	h := gridVoxel(lo, hi, opt.Voxel, opt.Voxel*(ratio+4))
	st.Voxel = h
	r, offset := ratio*h, max(off*h, h)
	g, err := newSparseGrid(lo, hi, h, r+4*h)
	if err != nil {
		return nil, st, err
	}
	if opt.Closed {
		// Only the outside matters: seeding seals a closed surface (as in
		// Hollow), so flag the outside, grow the band there alone, and
		// clear the flags for the closing's own flood.
		if err := g.seed(ctx, m); err != nil {
			return nil, st, err
		}
		if err := g.markOutside(ctx, float32(0.6*h)); err != nil {
			return nil, st, err
		}
		if err := g.spread(ctx, m, r+h, outsideOnly); err != nil {
			return nil, st, err
		}
		g.clearFlag(flagOut)
	} else if err := g.buildBand(ctx, m, r+h); err != nil {
		return nil, st, err
	}
	progress(0.4)
	if err := g.markOutside(ctx, float32(r)); err != nil {
		return nil, st, err
	}
	progress(0.5)

	// Seeds: outside voxels within a voxel of the closing distance.
	var seeds []seed
	rp := float32(r - offset)
	for bi, b := range g.blocks {
		if b == nil {
			if g.bfl[bi]&flagOut != 0 {
				g.bval[bi] = rp
			} else {
				g.bval[bi] = -rp
			}
			continue
		}
		for off := range b.d {
			if b.fl[off]&flagOut == 0 {
				b.d[off] = -rp
				continue
			}
			if b.d[off] <= float32(r+h) {
				i, j, k := g.coords(bi, off)
				seeds = append(seeds, seed{int32(i), int32(j), int32(k), b.d[off]})
			}
			b.d[off] = rp
		}
	}
	// Splat each seed's ball over the voxels where it can matter (where
	// the field is within a voxel of zero), in slabs of two block layers:
	// a ball reaches at most one block layer beyond its slab.
	const t = 2
	bySlab := make([][]seed, (g.nb[2]+t-1)/t)
	for _, y := range seeds {
		s := int(y.k) / (t * blockSide)
		bySlab[s] = append(bySlab[s], y)
	}
	n := g.dims()
	var away splatTable
	for q := range away {
		away[q] = float32(math.Sqrt(float64(q))*h + offset)
	}
	g.slabs(t, func(s, _, _ int) {
		for i, y := range bySlab[s] {
			if i&0xfff == 0 && ctx.Err() != nil {
				return
			}
			g.splat(n, y.i, y.j, y.k, y.d, offset, &away)
		}
	})
	if ctx.Err() != nil {
		return nil, st, ctx.Err()
	}
	progress(0.7)
	comps, err := g.components(ctx)
	if err != nil {
		return nil, st, err
	}
	st.Components = len(comps)
	if len(comps) > 1 {
		st.Bridges = g.bridge(comps, 1.5*h)
	}
	progress(0.8)
	out, err := g.extract(ctx)
	if err != nil {
		return nil, st, err
	}
	progress(0.85)
	// Marching cubes leaves a facet or two per voxel. A bounded reduction
	// removes the staircase: only collapses proven within a quarter voxel
	// (no measuring; marching-cubes fans are height fields), keeping edges
	// sharper than 60°, until a pass removes less than 3 % of the facets
	// (the passes after that take a tenth of the time for 1–2 % more).
	// Each pass tries the cheaper half of the candidates, not a third: on
	// a staircase that reaches fewer triangles in fewer passes.
	st.TrianglesMC = len(out.Triangles)
	if wrapSimplifyBound > 0 {
		out, _, err = Simplify(ctx, out, SimplifyOptions{MaxDeviation: wrapSimplifyBound * h, MaxAngle: 60, Passes: 10, provenOnly: true, minGain: 0.03, passShare: 0.5,
			Progress: func(f float64) { progress(0.85 + 0.15*f) }})
		if err != nil {
			return nil, st, err
		}
	}
	turnAxes(out, (3-turn)%3)
	return out, st, nil
}

// turnLongestToZ returns m turned by turnAxes so that its longest extent
// lies along z, and the number of steps (m itself when that is 0).
func turnLongestToZ(m *Mesh) (*Mesh, int) {
	lo, hi := m.Bounds()
	longest := 2
	for k := range 2 {
		if hi[k]-lo[k] > hi[longest]-lo[longest] {
			longest = k
		}
	}
	steps := (longest + 1) % 3 // x → 1 step, y → 2, z → 0
	if steps == 0 {
		return m, 0
	}
	t := &Mesh{Vertices: slices.Clone(m.Vertices), Triangles: m.Triangles}
	turnAxes(t, steps)
	return t, steps
}

// turnAxes moves each vertex's coordinate k+steps to k (a cyclic swap of
// the axes: a rotation, so facets keep their orientation), in place.
func turnAxes(m *Mesh, steps int) {
	if steps%3 == 0 {
		return
	}
	for i, v := range m.Vertices {
		m.Vertices[i] = Vec3{v[steps%3], v[(1+steps)%3], v[(2+steps)%3]}
	}
}

// wrapSimplifyBound is the reduction's bound in voxels (≤ 0: none, for tests).
var wrapSimplifyBound = 0.25

// bridge joins the components (labelled by components) with capsules of
// radius rb between their closest sample voxels, as a minimum spanning tree
// grown from the largest component, and returns how many it added.
func (g *sparseGrid) bridge(comps []component, rb float64) int {
	const perComp = 3000
	samples := make([][]v64, len(comps))
	counts := make([]int, len(comps))
	seen := make([]int, len(comps))
	for _, c := range comps {
		counts[c.label-1] = c.voxels
	}
	add := func(label int32, p v64) {
		i := label - 1
		// Keep about perComp samples, evenly spread over the component.
		if seen[i]%max(1, counts[i]/perComp) == 0 {
			samples[i] = append(samples[i], p)
		}
		seen[i]++
	}
	for bi, b := range g.blocks {
		if b == nil {
			if l := g.blab[bi]; l > 0 {
				i, j, k := g.coords(bi, 0)
				add(l, g.centre(i+blockSide/2, j+blockSide/2, k+blockSide/2))
			}
			continue
		}
		for off, l := range b.tri {
			if l > 0 {
				i, j, k := g.coords(bi, off)
				add(l, g.centre(i, j, k))
			}
		}
	}
	root := 0
	for i, c := range counts {
		if c > counts[root] {
			root = i
		}
	}
	in := make([]bool, len(comps))
	best := make([]float64, len(comps))
	from := make([][2]v64, len(comps))
	for i := range best {
		best[i] = math.Inf(1)
	}
	update := func(joined int) {
		for c := range comps {
			if in[c] {
				continue
			}
			for _, p := range samples[joined] {
				for _, q := range samples[c] {
					if d := sub(p, q); dot(d, d) < best[c] {
						best[c], from[c] = dot(d, d), [2]v64{p, q}
					}
				}
			}
		}
	}
	in[root] = true
	update(root)
	added := 0
	for {
		next := -1
		for c := range comps {
			if !in[c] && len(samples[c]) > 0 && (next < 0 || best[c] < best[next]) {
				next = c
			}
		}
		if next < 0 {
			return added
		}
		g.capsule(from[next][0], from[next][1], rb)
		added++
		in[next] = true
		update(next)
	}
}

// capsule lowers the field to the signed distance of the capsule of radius
// rb around segment pq wherever that is lower, allocating blocks on the way.
func (g *sparseGrid) capsule(p, q v64, rb float64) {
	n := g.dims()
	var lo, hi [3]int
	for k := range 3 {
		lo[k] = max(0, int(math.Floor((min(p.at(k), q.at(k))-rb-g.org[k])/g.h))-2)
		hi[k] = min(n[k]-1, int(math.Ceil((max(p.at(k), q.at(k))+rb-g.org[k])/g.h))+2)
	}
	pq := sub(q, p)
	l2 := dot(pq, pq)
	for z := lo[2]; z <= hi[2]; z++ {
		for y := lo[1]; y <= hi[1]; y++ {
			for x := lo[0]; x <= hi[0]; x++ {
				c := g.centre(x, y, z)
				t := 0.0
				if l2 > 0 {
					t = min(1, max(0, dot(sub(c, p), pq)/l2))
				}
				d := sub(c, v64{p.x + t*pq.x, p.y + t*pq.y, p.z + t*pq.z})
				v := float32(math.Sqrt(dot(d, d)) - rb)
				bi, off := g.locate(x, y, z)
				b := g.blocks[bi]
				if b == nil {
					// Every block near the capsule is allocated, so each cube
					// its surface crosses has its lower corner in one.
					b = g.alloc(bi)
					for i := range b.d {
						b.d[i] = g.bval[bi]
					}
				}
				if v < b.d[off] {
					b.d[off] = v
				}
			}
		}
	}
}

type seed struct {
	i, j, k int32
	d       float32
}

// splat raises the field of the non-outside voxels around outside voxel
// (i, j, k) at distance d to d − |x − y| − offset where that is higher.
func (g *sparseGrid) splat(n [3]int, i, j, k int32, d float32, offset float64, away *splatTable) {
	h := g.h
	rho := float64(d) - offset + h
	reach := int(rho / h)
	if reach > blockSide {
		panic("geometry: splat beyond one block layer")
	}
	rho2 := rho * rho / (h * h)
	for z := max(0, int(k)-reach); z <= min(n[2]-1, int(k)+reach); z++ {
		dz := z - int(k)
		for yy := max(0, int(j)-reach); yy <= min(n[1]-1, int(j)+reach); yy++ {
			dy := yy - int(j)
			dyz := dy*dy + dz*dz
			if float64(dyz) > rho2 {
				continue
			}
			// The row's voxels within the ball, block by block: no
			// per-voxel block lookup, and the distance from the table.
			w := int(math.Sqrt(rho2 - float64(dyz)))
			for float64((w+1)*(w+1)+dyz) <= rho2 {
				w++
			}
			for w > 0 && float64(w*w+dyz) > rho2 {
				w--
			}
			x0, x1 := max(0, int(i)-w), min(n[0]-1, int(i)+w)
			row := g.nb[0] * (yy>>blockShift + g.nb[1]*(z>>blockShift))
			rowOff := (yy&(blockSide-1))<<blockShift | (z&(blockSide-1))<<(2*blockShift)
			for x := x0; x <= x1; {
				bx := x >> blockShift
				end := min(x1, bx<<blockShift|(blockSide-1))
				b := g.blocks[row+bx]
				if b == nil {
					x = end + 1
					continue
				}
				for ; x <= end; x++ {
					o := x&(blockSide-1) | rowOff
					if b.fl[o]&flagOut != 0 {
						continue
					}
					dx := x - int(i)
					if c := d - away[dx*dx+dyz]; c > b.d[o] {
						b.d[o] = c
					}
				}
			}
		}
	}
}

// splatTable holds, for each squared voxel distance a splat reaches
// (whole numbers up to three blocks' sides squared), that distance in
// model units plus the wrap's offset.
type splatTable [3*blockSide*blockSide + 1]float32
