package geometry

import (
	"context"
	"errors"
	"math"
	"runtime"
	"sync"
)

// The volumetric engine behind shrinkwrap and hollowing: a sparse grid of
// voxel centres in 8³ blocks, allocated only near the surface. Inside a
// band of width W around the triangles each voxel holds the exact distance
// to its nearest triangle (and that triangle's index); blocks farther away
// are never allocated and carry one value and one flag for all their voxels.
//
// The band is built in two steps. Every triangle is cut into pieces no
// larger than two voxels and the voxels within one voxel of a piece get
// exact distances (so every voxel closer than one voxel to the surface has
// its exact nearest triangle). Then the nearest triangles spread outwards
// layer by layer: a voxel tries the nearest triangles of its six
// neighbours, keeping the closest (closest-primitive propagation, exact
// distances to approximately nearest triangles).

const (
	blockShift  = 3
	blockSide   = 1 << blockShift
	blockVoxels = blockSide * blockSide * blockSide
	// maxGridBlocks bounds the dense block index (4 M entries: 32 MB of
	// pointers, a 1280³-voxel grid); callers coarsen the voxel to fit.
	maxGridBlocks = 1 << 22
)

// Voxel flags.
const (
	flagOut    = 1 << iota // reached from the grid's border
	flagQueued             // in the next propagation layer
	flagInside             // inside the model (hollowing)
)

type voxBlock struct {
	d   [blockVoxels]float32 // distance, later the field being extracted
	tri [blockVoxels]int32   // nearest triangle, later a component label
	fl  [blockVoxels]uint8
}

type sparseGrid struct {
	org    [3]float64 // centre of voxel (0,0,0)
	h      float64    // voxel edge
	nb     [3]int     // blocks per axis
	blocks []*voxBlock
	bfl    []uint8   // flags of unallocated blocks
	bval   []float32 // field value of unallocated blocks
	blab   []int32   // component label of unallocated blocks
	far    float32   // distance stored beyond the band
}

// errGridTooLarge is returned when the grid would exceed maxGridBlocks.
var errGridTooLarge = errors.New("geometry: voxel grid too large")

// gridVoxel returns the voxel edge at least h for which a grid over
// [lo−margin, hi+margin] fits maxGridBlocks.
func gridVoxel(lo, hi Vec3, h, margin float64) float64 {
	for {
		n := 1.0
		for k := range 3 {
			n *= math.Ceil((float64(hi[k]-lo[k])+2*margin+2*h)/h/blockSide) + 1
		}
		if n <= maxGridBlocks {
			return h
		}
		h *= 1.1
	}
}

// newSparseGrid covers [lo−margin, hi+margin] with voxels of edge h.
func newSparseGrid(lo, hi Vec3, h, margin float64) (*sparseGrid, error) {
	g := &sparseGrid{h: h, far: float32(math.Inf(1))}
	total := 1
	for k := range 3 {
		// An odd fraction of a voxel keeps grid planes off the model's own
		// axis-aligned faces and vertices.
		g.org[k] = float64(lo[k]) - margin - 0.3183*h
		g.nb[k] = int(math.Ceil((float64(hi[k]-lo[k])+2*margin+h)/h/blockSide)) + 1
		total *= g.nb[k]
	}
	if total > maxGridBlocks {
		return nil, errGridTooLarge
	}
	g.blocks = make([]*voxBlock, total)
	g.bfl = make([]uint8, total)
	g.bval = make([]float32, total)
	g.blab = make([]int32, total)
	return g, nil
}

func (g *sparseGrid) dims() [3]int {
	return [3]int{g.nb[0] * blockSide, g.nb[1] * blockSide, g.nb[2] * blockSide}
}

// locate returns the block and offset of voxel (i, j, k).
func (g *sparseGrid) locate(i, j, k int) (int, int) {
	bi := i>>blockShift + g.nb[0]*(j>>blockShift+g.nb[1]*(k>>blockShift))
	return bi, i&(blockSide-1) | (j&(blockSide-1))<<blockShift | (k&(blockSide-1))<<(2*blockShift)
}

// coords is the inverse of locate.
func (g *sparseGrid) coords(bi, off int) (int, int, int) {
	bx := bi % g.nb[0]
	by := (bi / g.nb[0]) % g.nb[1]
	bz := bi / (g.nb[0] * g.nb[1])
	return bx<<blockShift | off&(blockSide-1), by<<blockShift | (off>>blockShift)&(blockSide-1), bz<<blockShift | off>>(2*blockShift)
}

func (g *sparseGrid) centre(i, j, k int) v64 {
	return v64{g.org[0] + float64(i)*g.h, g.org[1] + float64(j)*g.h, g.org[2] + float64(k)*g.h}
}

// alloc returns block bi, creating it with every voxel at distance far
// and with the block's flags.
func (g *sparseGrid) alloc(bi int) *voxBlock {
	b := g.blocks[bi]
	if b == nil {
		b = new(voxBlock)
		for i := range b.d {
			b.d[i] = g.far
			b.tri[i] = -1
			b.fl[i] = g.bfl[bi] // an outside block's voxels are outside
		}
		g.blocks[bi] = b
	}
	return b
}

// value is the field at voxel (i, j, k).
func (g *sparseGrid) value(i, j, k int) float32 {
	bi, off := g.locate(i, j, k)
	if b := g.blocks[bi]; b != nil {
		return b.d[off]
	}
	return g.bval[bi]
}

// buildBand fills exact distances to m's triangles for the voxels within
// width of the surface (and some a little farther).
func (g *sparseGrid) buildBand(ctx context.Context, m *Mesh, width float64) error {
	if err := g.seed(ctx, m); err != nil {
		return err
	}
	return g.spread(ctx, m, width, bothSides)
}

// seedReach (in voxels) is how close to a triangle seed computes exact
// distances: half a voxel diagonal, so every point of the surface has a
// seeded voxel centre and every voxel that near has its exact nearest
// triangle.
const seedReach = 0.87

// seed gives exact distances to the voxels within seedReach of each
// triangle. Workers own slabs of block layers along z, so they write
// disjoint blocks.
func (g *sparseGrid) seed(ctx context.Context, m *Mesh) error {
	workers := runtime.GOMAXPROCS(0)
	slabs := min(workers*4, g.nb[2])
	per := (g.nb[2] + slabs - 1) / slabs
	buckets := make([][]uint32, slabs)
	for t := range m.Triangles {
		a, b, c := m.Triangle(t)
		zlo := min(a[2], b[2], c[2])
		zhi := max(a[2], b[2], c[2])
		k0 := int(math.Floor((float64(zlo)-g.org[2])/g.h)) - 1
		k1 := int(math.Ceil((float64(zhi)-g.org[2])/g.h)) + 1
		s0 := max(0, (k0>>blockShift)/per)
		s1 := min(slabs-1, (k1>>blockShift)/per)
		for s := s0; s <= s1; s++ {
			buckets[s] = append(buckets[s], uint32(t))
		}
	}
	var wg sync.WaitGroup
	next := make(chan int, slabs)
	for s := range slabs {
		next <- s
	}
	close(next)
	var failed error
	var once sync.Once
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for s := range next {
				if ctx.Err() != nil {
					once.Do(func() { failed = ctx.Err() })
					return
				}
				kmin, kmax := s*per*blockSide, min((s+1)*per, g.nb[2])*blockSide-1
				for i, t := range buckets[s] {
					if i&1023 == 1023 && ctx.Err() != nil {
						once.Do(func() { failed = ctx.Err() })
						return
					}
					a, b, c := m.Triangle(int(t))
					tg := newTriGeom(to64(a), to64(b), to64(c))
					if tg.n == (v64{}) {
						g.rasterise(&tg, tg.a, tg.b, tg.c, int32(t), kmin, kmax, 0)
					} else {
						g.columns(&tg, int32(t), kmin, kmax)
					}
				}
			}
		}()
	}
	wg.Wait()
	return failed
}

// columns visits the voxels within seedReach of triangle t's plane, column
// by column along the axis the normal is closest to, over the columns whose
// projection is within seedReach of the projected triangle.
func (g *sparseGrid) columns(tg *triGeom, t int32, kmin, kmax int) {
	a := 0
	for k := 1; k < 3; k++ {
		if math.Abs(tg.n.at(k)) > math.Abs(tg.n.at(a)) {
			a = k
		}
	}
	u, v := (a+1)%3, (a+2)%3
	reach := seedReach * g.h
	n := g.dims()
	var lo, hi [3]int
	for k := range 3 {
		lo[k] = max(0, int(math.Ceil((min(tg.a.at(k), tg.b.at(k), tg.c.at(k))-reach-g.org[k])/g.h)))
		hi[k] = min(n[k]-1, int(math.Floor((max(tg.a.at(k), tg.b.at(k), tg.c.at(k))+reach-g.org[k])/g.h)))
	}
	lo[2], hi[2] = max(lo[2], kmin), min(hi[2], kmax)
	// Outward unit normals and offsets of the projected edges.
	corners := [3][2]float64{{tg.a.at(u), tg.a.at(v)}, {tg.b.at(u), tg.b.at(v)}, {tg.c.at(u), tg.c.at(v)}}
	var en [3][2]float64
	var eo [3]float64
	sign := 1.0
	if tg.n.at(a) < 0 {
		sign = -1
	}
	for e := range 3 {
		p, q := corners[e], corners[(e+1)%3]
		nx, ny := (q[1]-p[1])*sign, -(q[0]-p[0])*sign
		l := math.Hypot(nx, ny)
		if l == 0 {
			continue
		}
		en[e] = [2]float64{nx / l, ny / l}
		eo[e] = en[e][0]*p[0] + en[e][1]*p[1]
	}
	half := reach / math.Abs(tg.n.at(a))
	for iu := lo[u]; iu <= hi[u]; iu++ {
		pu := g.org[u] + float64(iu)*g.h
		for iv := lo[v]; iv <= hi[v]; iv++ {
			pv := g.org[v] + float64(iv)*g.h
			if en[0][0]*pu+en[0][1]*pv-eo[0] > reach || en[1][0]*pu+en[1][1]*pv-eo[1] > reach || en[2][0]*pu+en[2][1]*pv-eo[2] > reach {
				continue
			}
			// The plane's coordinate along a over this column.
			pa := tg.a.at(a) - (tg.n.at(u)*(pu-tg.a.at(u))+tg.n.at(v)*(pv-tg.a.at(v)))/tg.n.at(a)
			ia0 := max(lo[a], int(math.Ceil((pa-half-g.org[a])/g.h)))
			ia1 := min(hi[a], int(math.Floor((pa+half-g.org[a])/g.h)))
			for ia := ia0; ia <= ia1; ia++ {
				var c [3]int
				c[a], c[u], c[v] = ia, iu, iv
				bi, off := g.locate(c[0], c[1], c[2])
				blk := g.alloc(bi)
				p := g.centre(c[0], c[1], c[2])
				// The distance to the plane bounds the distance to the
				// triangle from below: a voxel already that near keeps its
				// triangle (float32 rounding is monotone, so this is exact).
				if float32(math.Abs(dot(sub(p, tg.a), tg.n))) >= blk.d[off] {
					continue
				}
				if dd := float32(tg.dist(p)); dd < blk.d[off] {
					blk.d[off], blk.tri[off] = dd, t
				}
			}
		}
	}
}

// rasterise visits the voxels near the piece pqr of degenerate triangle t (tg),
// cutting pieces larger than two voxels into four.
func (g *sparseGrid) rasterise(tg *triGeom, p, q, r v64, t int32, kmin, kmax, depth int) {
	var lo, hi [3]int
	big := false
	reach := seedReach * g.h
	for k := range 3 {
		mn := min(p.at(k), q.at(k), r.at(k))
		mx := max(p.at(k), q.at(k), r.at(k))
		lo[k] = int(math.Ceil((mn - reach - g.org[k]) / g.h))
		hi[k] = int(math.Floor((mx + reach - g.org[k]) / g.h))
		if hi[k]-lo[k] > 3 {
			big = true
		}
	}
	if big && depth < 24 {
		pq, qr, rp := mid(p, q), mid(q, r), mid(r, p)
		g.rasterise(tg, p, pq, rp, t, kmin, kmax, depth+1)
		g.rasterise(tg, pq, q, qr, t, kmin, kmax, depth+1)
		g.rasterise(tg, rp, qr, r, t, kmin, kmax, depth+1)
		g.rasterise(tg, pq, qr, rp, t, kmin, kmax, depth+1)
		return
	}
	n := g.dims()
	lo[2], hi[2] = max(lo[2], kmin), min(hi[2], kmax)
	for k := range 2 {
		lo[k], hi[k] = max(lo[k], 0), min(hi[k], n[k]-1)
	}
	for z := lo[2]; z <= hi[2]; z++ {
		for y := lo[1]; y <= hi[1]; y++ {
			for x := lo[0]; x <= hi[0]; x++ {
				pt := g.centre(x, y, z)
				bi, off := g.locate(x, y, z)
				blk := g.alloc(bi)
				if dd := float32(tg.dist(pt)); dd < blk.d[off] {
					blk.d[off], blk.tri[off] = dd, t
				}
			}
		}
	}
}

var sixDirs = [6][3]int{{1, 0, 0}, {-1, 0, 0}, {0, 1, 0}, {0, -1, 0}, {0, 0, 1}, {0, 0, -1}}

// vox is a voxel's coordinates.
type vox struct{ i, j, k int32 }

// slabs runs fn over slabs of t block layers along z (fn gets the slab's
// voxel layers k0…k1), all even slabs in parallel and then all odd ones,
// so work reaching up to t/2 block layers beyond its slab never meets
// another worker's blocks.
func (g *sparseGrid) slabs(t int, fn func(s, k0, k1 int)) {
	n := (g.nb[2] + t - 1) / t
	workers := runtime.GOMAXPROCS(0)
	for colour := range 2 {
		next := make(chan int, n)
		for s := colour; s < n; s += 2 {
			next <- s
		}
		close(next)
		var wg sync.WaitGroup
		for range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for s := range next {
					fn(s, s*t*blockSide, min((s+1)*t, g.nb[2])*blockSide-1)
				}
			}()
		}
		wg.Wait()
	}
}

// Sides of a closed surface a band may grow to (spread), once the outside
// has been flagged.
const (
	bothSides   = iota
	insideOnly  // voxels and blocks not flagged outside
	outsideOnly // voxels and blocks flagged outside
)

// spread propagates nearest triangles outwards until no voxel within width
// improves. Each layer runs in parallel over slabs of two block layers.
// side limits it to one side of the surface (by flagOut).
func (g *sparseGrid) spread(ctx context.Context, m *Mesh, width float64, side int) error {
	const t = 2
	nslab := (g.nb[2] + t - 1) / t
	front := make([][]vox, nslab)
	for bi, b := range g.blocks {
		if b == nil {
			continue
		}
		for off := range b.tri {
			if b.tri[off] >= 0 {
				i, j, k := g.coords(bi, off)
				s := k / (t * blockSide)
				front[s] = append(front[s], vox{int32(i), int32(j), int32(k)})
			}
		}
	}
	n := g.dims()
	w32 := float32(width)
	hSkip := float32(g.h * (1 + 1e-4))
	for layer := 0; layer < int(width/g.h)+4; layer++ {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		outs := make([][]vox, nslab)
		g.slabs(t, func(s, _, _ int) {
			var next []vox
			var tg triGeom
			last := int32(-1)
			for i, v := range front[s] {
				if i&4095 == 4095 && ctx.Err() != nil {
					break // spread returns ctx.Err() before the next layer
				}
				bi, off := g.locate(int(v.i), int(v.j), int(v.k))
				tr := g.blocks[bi].tri[off]
				if tr != last { // neighbours often share their triangle
					a, b, c := m.Triangle(int(tr))
					tg, last = newTriGeom(to64(a), to64(b), to64(c)), tr
				}
				// A neighbour is a voxel away, so tr is at least this far
				// from it: one already nearer cannot gain (with a margin for
				// the stored distances' rounding).
				floor := g.blocks[bi].d[off] - hSkip
				for _, dv := range sixDirs {
					x, y, z := int(v.i)+dv[0], int(v.j)+dv[1], int(v.k)+dv[2]
					if x < 0 || y < 0 || z < 0 || x >= n[0] || y >= n[1] || z >= n[2] {
						continue
					}
					nbi, noff := g.locate(x, y, z)
					nb := g.blocks[nbi]
					if nb != nil && (nb.tri[noff] == tr || nb.d[noff] <= floor) {
						continue
					}
					if side != bothSides {
						out := nb == nil && g.bfl[nbi]&flagOut != 0 || nb != nil && nb.fl[noff]&flagOut != 0
						if out != (side == outsideOnly) {
							continue
						}
					}
					dd := float32(tg.dist(g.centre(x, y, z)))
					if dd > w32 {
						continue
					}
					if nb == nil {
						nb = g.alloc(nbi)
					}
					if dd < nb.d[noff] {
						nb.d[noff], nb.tri[noff] = dd, tr
						if nb.fl[noff]&flagQueued == 0 {
							nb.fl[noff] |= flagQueued
							next = append(next, vox{int32(x), int32(y), int32(z)})
						}
					}
				}
			}
			outs[s] = next
		})
		any := false
		for s := range front {
			front[s] = front[s][:0]
		}
		for _, next := range outs {
			for _, v := range next {
				bi, off := g.locate(int(v.i), int(v.j), int(v.k))
				g.blocks[bi].fl[off] &^= flagQueued
				s := int(v.k) / (t * blockSide)
				front[s] = append(front[s], v)
				any = true
			}
		}
		if !any {
			break
		}
	}
	return nil
}

// triGeom answers point distances to one triangle: the plane distance when
// the point projects inside it (the common case in a band), else the
// distance to the nearest of the edges whose side it is on (a point
// projecting beyond only one edge is nearest that edge; beyond two, one of
// those two). Slivers of CAD parts leave most band voxels beyond an edge.
type triGeom struct {
	a, b, c v64
	n       v64    // unit normal (zero if degenerate)
	e       [3]v64 // n × edge: inward normals of the edge planes
	ed      [3]v64 // the edges b − a, c − b, a − c
	inv     [3]float64
}

func newTriGeom(a, b, c v64) triGeom {
	t := triGeom{a: a, b: b, c: c}
	n := cross(sub(b, a), sub(c, a))
	if l := norm(n); l > 0 {
		t.n = v64{n.x / l, n.y / l, n.z / l}
		t.ed = [3]v64{sub(b, a), sub(c, b), sub(a, c)}
		for k, e := range t.ed {
			t.e[k] = cross(t.n, e)
			t.inv[k] = 1 / dot(e, e)
		}
	}
	return t
}

func (t *triGeom) dist(p v64) float64 {
	if t.n == (v64{}) {
		return norm(sub(closestOnTriangle(p, t.a, t.b, t.c), p))
	}
	pa, pb, pc := sub(p, t.a), sub(p, t.b), sub(p, t.c)
	oa, ob, oc := dot(pa, t.e[0]) < 0, dot(pb, t.e[1]) < 0, dot(pc, t.e[2]) < 0
	if !oa && !ob && !oc {
		return math.Abs(dot(pa, t.n))
	}
	d2 := math.Inf(1)
	if oa {
		d2 = segmentDist2(pa, t.ed[0], t.inv[0])
	}
	if ob {
		d2 = min(d2, segmentDist2(pb, t.ed[1], t.inv[1]))
	}
	if oc {
		d2 = min(d2, segmentDist2(pc, t.ed[2], t.inv[2]))
	}
	return math.Sqrt(d2)
}

// segmentDist2 is the squared distance from a point at d from a segment's
// start to the segment e (inv = 1/|e|²).
func segmentDist2(d, e v64, inv float64) float64 {
	s := max(0, min(1, dot(d, e)*inv))
	x := v64{d.x - s*e.x, d.y - s*e.y, d.z - s*e.z}
	return dot(x, x)
}

// cell is a voxel of an allocated block, or (off < 0) a whole unallocated
// block, as a unit of flood fills.
type cell struct {
	bi  int32
	off int16
}

func (g *sparseGrid) cellAt(i, j, k int) cell {
	bi, off := g.locate(i, j, k)
	if g.blocks[bi] == nil {
		return cell{int32(bi), -1}
	}
	return cell{int32(bi), int16(off)}
}

// flood visits, breadth first from start, every cell that enter accepts
// (enter marks what it accepts, so each cell is entered once), moving
// between face neighbours. A whole block is one cell, and its neighbours
// are the voxels across its six faces.
func (g *sparseGrid) flood(ctx context.Context, start []cell, enter func(c cell) bool) error {
	queue := start
	n := g.dims()
	offStride := [3]int{1, blockSide, blockSide * blockSide}
	blockStride := [3]int{1, g.nb[0], g.nb[0] * g.nb[1]}
	for steps := 0; len(queue) > 0; steps++ {
		if steps&0xffff == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		c := queue[len(queue)-1]
		queue = queue[:len(queue)-1]
		try := func(x, y, z int) {
			if x < 0 || y < 0 || z < 0 || x >= n[0] || y >= n[1] || z >= n[2] {
				return
			}
			if nc := g.cellAt(x, y, z); enter(nc) {
				queue = append(queue, nc)
			}
		}
		if c.off >= 0 {
			// A voxel's neighbours inside its block are offsets away; only
			// those across a face need the neighbouring block (and its
			// place in the grid, a division, to stop at the border).
			off, bi := int(c.off), int(c.bi)
			at := [3]int{off & (blockSide - 1), off >> blockShift & (blockSide - 1), off >> (2 * blockShift)}
			for a := range 3 {
				for _, dir := range [2]int{-1, 1} {
					var nc cell
					if x := at[a] + dir; x >= 0 && x < blockSide {
						nc = cell{c.bi, int16(off + dir*offStride[a])}
					} else {
						if b := bi / blockStride[a] % g.nb[a]; b+dir < 0 || b+dir >= g.nb[a] {
							continue // the grid's border
						}
						nbi := bi + dir*blockStride[a]
						nc = cell{int32(nbi), int16(off - dir*(blockSide-1)*offStride[a])}
						if g.blocks[nbi] == nil {
							nc.off = -1
						}
					}
					if enter(nc) {
						queue = append(queue, nc)
					}
				}
			}
			continue
		}
		i0, j0, k0 := g.coords(int(c.bi), 0)
		for a := range blockSide {
			for b := range blockSide {
				try(i0-1, j0+a, k0+b)
				try(i0+blockSide, j0+a, k0+b)
				try(i0+a, j0-1, k0+b)
				try(i0+a, j0+blockSide, k0+b)
				try(i0+a, j0+b, k0-1)
				try(i0+a, j0+b, k0+blockSide)
			}
		}
	}
	return nil
}

// clearFlag clears flag on every voxel and unallocated block.
func (g *sparseGrid) clearFlag(flag uint8) {
	for bi, b := range g.blocks {
		if b == nil {
			g.bfl[bi] &^= flag
			continue
		}
		for off := range b.fl {
			b.fl[off] &^= flag
		}
	}
}

// markOutside flags every cell reachable from the grid's corner through
// voxels farther than thr from the surface (unallocated blocks are all
// farther than the band).
func (g *sparseGrid) markOutside(ctx context.Context, thr float32) error {
	enter := func(c cell) bool {
		if c.off < 0 {
			if g.bfl[c.bi]&flagOut != 0 {
				return false
			}
			g.bfl[c.bi] |= flagOut
			return true
		}
		b := g.blocks[c.bi]
		if b.fl[c.off]&flagOut != 0 || b.d[c.off] <= thr {
			return false
		}
		b.fl[c.off] |= flagOut
		return true
	}
	start := g.cellAt(0, 0, 0)
	if !enter(start) {
		return errors.New("geometry: the grid's corner is not outside the model")
	}
	return g.flood(ctx, []cell{start}, enter)
}

// component is one connected set of cells where the field is negative.
type component struct {
	voxels int   // number of voxels
	first  cell  // a cell in it
	label  int32 // its label (1-based)
}

// components labels the 6-connected components of voxels with a negative
// field (the inside of the surface extract will produce), storing labels
// in the blocks' tri arrays and blab.
func (g *sparseGrid) components(ctx context.Context) ([]component, error) {
	for bi, b := range g.blocks {
		if b != nil {
			for off := range b.tri {
				b.tri[off] = 0
			}
		} else {
			g.blab[bi] = 0
		}
	}
	var comps []component
	var cur *component
	enter := func(c cell) bool {
		if c.off < 0 {
			if g.blab[c.bi] != 0 || g.bval[c.bi] >= 0 {
				return false
			}
			g.blab[c.bi] = cur.label
			cur.voxels += blockVoxels
			return true
		}
		b := g.blocks[c.bi]
		if b.tri[c.off] != 0 || b.d[c.off] >= 0 {
			return false
		}
		b.tri[c.off] = cur.label
		cur.voxels++
		return true
	}
	start := func(c cell) error {
		comps = append(comps, component{first: c, label: int32(len(comps) + 1)})
		cur = &comps[len(comps)-1]
		if !enter(c) {
			comps = comps[:len(comps)-1]
			return nil
		}
		return g.flood(ctx, []cell{c}, enter)
	}
	for bi, b := range g.blocks {
		if b == nil {
			if err := start(cell{int32(bi), -1}); err != nil {
				return nil, err
			}
			continue
		}
		for off := range b.d {
			if b.d[off] < 0 && b.tri[off] == 0 {
				if err := start(cell{int32(bi), int16(off)}); err != nil {
					return nil, err
				}
			}
		}
	}
	return comps, nil
}

// extract runs marching cubes over the cubes with a corner in an allocated
// block (the field is constant across unallocated ones) and returns
// a closed, manifold mesh around the negative voxels, counter-clockwise
// seen from the positive side.
// cacheSide is the side of the corner values extract reads per block.
const cacheSide = blockSide + 2

func (g *sparseGrid) extract(ctx context.Context) (*Mesh, error) {
	n := g.dims()
	out := &Mesh{}
	verts := map[int64]uint32{}
	eps := float32(g.h * 1e-3)
	clamp := func(v float32) float32 {
		if v > -eps && v < eps {
			return eps
		}
		return v
	}
	for bi, b := range g.blocks {
		if b == nil {
			continue
		}
		if bi&63 == 0 && ctx.Err() != nil {
			return nil, ctx.Err()
		}
		i0, j0, k0 := g.coords(bi, 0)
		// The field at every corner the block's cubes use (the block and
		// one layer below it on each axis), looked up once instead of
		// eight times per cube; a block whose corners all have one sign
		// holds no surface (most of the band's blocks) and is skipped.
		var field [cacheSide * cacheSide * cacheSide]float32
		neg, pos := false, false
		for z := range cacheSide {
			for y := range cacheSide {
				for x := range cacheSide {
					i, j, k := i0-1+x, j0-1+y, k0-1+z
					if i < 0 || j < 0 || k < 0 || i >= n[0] || j >= n[1] || k >= n[2] {
						continue // outside the grid: no cube uses it
					}
					var v float32
					if x > 0 && y > 0 && z > 0 && x <= blockSide && y <= blockSide && z <= blockSide {
						v = b.d[(x-1)|(y-1)<<blockShift|(z-1)<<(2*blockShift)]
					} else {
						v = g.value(i, j, k)
					}
					v = clamp(v)
					field[x+cacheSide*(y+cacheSide*z)] = v
					neg = neg || v < 0
					pos = pos || v >= 0
				}
			}
		}
		if !neg || !pos {
			continue
		}
		// The cubes with a corner in this block, each owned by the first
		// allocated block among its corners, so a cube whose lower corner
		// is in an unallocated block is still extracted, once.
		for cube := range (blockSide + 1) * (blockSide + 1) * (blockSide + 1) {
			i := i0 - 1 + cube%(blockSide+1)
			j := j0 - 1 + (cube/(blockSide+1))%(blockSide+1)
			k := k0 - 1 + cube/((blockSide+1)*(blockSide+1))
			if i < 0 || j < 0 || k < 0 || i+1 >= n[0] || j+1 >= n[1] || k+1 >= n[2] {
				continue
			}
			if i < i0 || j < j0 || k < k0 {
				owner := -1
				for c := 0; c < 8 && owner < 0; c++ {
					if cb, _ := g.locate(i+c&1, j+(c>>1)&1, k+(c>>2)&1); g.blocks[cb] != nil {
						owner = cb
					}
				}
				if owner != bi {
					continue
				}
			}
			var val [8]float32
			neg, pos := false, false
			at := (i - i0 + 1) + cacheSide*((j-j0+1)+cacheSide*(k-k0+1))
			for c := range 8 {
				v := field[at+c&1+cacheSide*((c>>1)&1)+cacheSide*cacheSide*(c>>2)]
				val[c] = v
				neg = neg || v < 0
				pos = pos || v >= 0
			}
			if !neg || !pos {
				continue
			}
			vert := func(e int) uint32 {
				ca, cb := mcEdgeCorners(e)
				ai, aj, ak := i+ca&1, j+(ca>>1)&1, k+(ca>>2)&1
				key := (int64(ai)+int64(n[0])*(int64(aj)+int64(n[1])*int64(ak)))*4 + int64(e/4)
				if id, ok := verts[key]; ok {
					return id
				}
				va, vb := float64(val[ca]), float64(val[cb])
				s := va / (va - vb)
				p := g.centre(ai, aj, ak)
				switch d := s * g.h; e / 4 {
				case 0:
					p.x += d
				case 1:
					p.y += d
				default:
					p.z += d
				}
				id := uint32(len(out.Vertices))
				out.Vertices = append(out.Vertices, Vec3{float32(p.x), float32(p.y), float32(p.z)})
				verts[key] = id
				return id
			}
			mcCube(&val, vert, func(a, b, c uint32) {
				out.Triangles = append(out.Triangles, [3]uint32{a, b, c})
			})
		}
	}
	return out, nil
}
