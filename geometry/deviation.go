package geometry

import (
	"context"
	"math"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
)

// Nearest returns the squared distance from p to the nearest triangle of
// m (within within2; ok false if none is that close).
func (h *BVH) Nearest(m *Mesh, p v64, within2 float64) (dist2 float64, ok bool) {
	_, _, dist2, ok = h.NearestFacing(m, nil, nil, p, within2, v64{}, 0)
	return
}

// Within reports whether some triangle of m is closer to p than
// sqrt(within2), stopping at the first one found.
func (h *BVH) Within(m *Mesh, p v64, within2 float64) bool {
	if len(h.nodes) == 0 {
		return false
	}
	var stack [128]uint32
	sp := 1
	for sp > 0 {
		sp--
		nd := &h.nodes[stack[sp]]
		if boxDist2(p, nd.min, nd.max) >= within2 {
			continue
		}
		if nd.count > 0 {
			for _, t := range h.tris[nd.first : nd.first+nd.count] {
				a, b, c := m.Triangle(int(t))
				dd := sub(closestOnTriangle(p, to64(a), to64(b), to64(c)), p)
				if dot(dd, dd) < within2 {
					return true
				}
			}
			continue
		}
		if sp+2 <= len(stack) {
			stack[sp], stack[sp+1] = nd.first+1, nd.first
			sp += 2
		}
	}
	return false
}

// Deviation measures the largest distance from points of a to the surface
// of b, sampling in each triangle of a the points of a regular barycentric
// grid with n subdivisions per edge (n = 1: the corners); n = 0 samples
// each vertex of a once. It is independent of how a was made: use it both ways
// for a two-sided (Hausdorff) distance.
func Deviation(ctx context.Context, a, b *Mesh, n int) (float64, error) {
	return deviation(ctx, a, b, NewBVH(b), n)
}

func deviation(ctx context.Context, a, b *Mesh, h *BVH, n int) (float64, error) {
	workers := runtime.GOMAXPROCS(0)
	maxes := make([]float64, workers)
	var wg sync.WaitGroup
	if n == 0 {
		chunk := (len(a.Vertices) + workers - 1) / workers
		for w := range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				worst := 0.0
				for i := w * chunk; i < min((w+1)*chunk, len(a.Vertices)); i++ {
					if i&4095 == 0 && ctx.Err() != nil {
						return
					}
					pt := to64(a.Vertices[i])
					if !h.Within(b, pt, worst*worst+1e-30) {
						d2, _ := h.Nearest(b, pt, math.Inf(1))
						worst = math.Sqrt(d2)
					}
				}
				maxes[w] = worst
			}()
		}
		wg.Wait()
		return slices.Max(maxes), ctx.Err()
	}
	chunk := (len(a.Triangles) + workers - 1) / workers
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			lo, hi := w*chunk, min((w+1)*chunk, len(a.Triangles))
			worst := 0.0
			for t := lo; t < hi; t++ {
				if t&4095 == 0 && ctx.Err() != nil {
					return
				}
				p, q, r := a.Triangle(t)
				A, B, C := to64(p), to64(q), to64(r)
				for i := 0; i <= n; i++ {
					for j := 0; i+j <= n; j++ {
						u, v := float64(i)/float64(n), float64(j)/float64(n)
						w := 1 - u - v
						pt := v64{w*A.x + u*B.x + v*C.x, w*A.y + u*B.y + v*C.y, w*A.z + u*B.z + v*C.z}
						// Only points farther than the worst so far matter.
						if !h.Within(b, pt, worst*worst+1e-30) {
							d2, _ := h.Nearest(b, pt, math.Inf(1))
							worst = math.Sqrt(d2)
						}
					}
				}
			}
			maxes[w] = worst
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	out := 0.0
	for _, m := range maxes {
		out = max(out, m)
	}
	return out, nil
}

// DeviationBounds brackets the largest distance from a point of a's
// surface to b's: lo ≤ that distance ≤ hi, with hi within rel of lo (and
// a millionth of a's size). Sampling only gives lo, and a grid of fixed
// density missed the peaks between its points by up to a quarter on reduced
// corpus parts. Each facet of a is refined as a branch and bound: the
// distance to b is at most the distance to any one facet T of b, which is
// convex, so on a cell its maximum is at a corner; a cell whose corners are
// all within lo·(1+rel) of the facet nearest its centre is settled, others
// are split in four, down to maxDevDepth.
func DeviationBounds(ctx context.Context, a, b *Mesh, rel float64) (lo, hi float64, err error) {
	if len(a.Triangles) == 0 || len(b.Triangles) == 0 {
		return 0, 0, ctx.Err()
	}
	h := NewBVH(b)
	l, u := a.Bounds()
	abs := 1e-6 * math.Sqrt(dist2(to64(l), to64(u)))
	// A grid first: a lower bound near the answer, so that few cells
	// split before it is reached (a's vertices alone often lie on b).
	seed, err := deviation(ctx, a, b, h, 2)
	if err != nil {
		return 0, 0, err
	}
	workers := runtime.GOMAXPROCS(0)
	var shared atomic.Uint64 // math.Float64bits of lo
	shared.Store(math.Float64bits(seed))
	var next atomic.Int64
	his := make([]float64, workers)
	const chunk = 256
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var stack []devCell
			best, top := seed, 0.0
			raise := func(d float64) {
				best = max(best, math.Float64frombits(shared.Load()))
				if d > best {
					best = d
					raiseShared(&shared, d)
				}
			}
			for c := int(next.Add(1) - 1); c*chunk < len(a.Triangles) && ctx.Err() == nil; c = int(next.Add(1) - 1) {
				for t := c * chunk; t < min((c+1)*chunk, len(a.Triangles)); t++ {
					p, q, r := a.Triangle(t)
					stack = append(stack[:0], devCell{[3]v64{to64(p), to64(q), to64(r)}, -1, 0, math.Inf(1)})
					for len(stack) > 0 {
						cl := stack[len(stack)-1]
						stack = stack[:len(stack)-1]
						A, B, C := cl.c[0], cl.c[1], cl.c[2]
						g := v64{(A.x + B.x + C.x) / 3, (A.y + B.y + C.y) / 3, (A.z + B.z + C.z) / 3}
						// The facet nearest the parent's centre bounds the
						// search, and may bound the cell better.
						within2, parent2 := math.Inf(1), 0.0
						if cl.near >= 0 {
							parent2 = facetDist2(b, cl.near, g)
							within2 = parent2*(1+1e-9) + 1e-300
						}
						_, tri, d2, ok := h.NearestFacing(b, nil, nil, g, within2, v64{}, 0)
						if !ok { // only float rounding: the parent's is the nearest
							tri, d2 = uint32(cl.near), parent2
						}
						raise(math.Sqrt(d2))
						ub2 := corners2(b, int32(tri), A, B, C)
						if cl.near >= 0 && cl.near != int32(tri) {
							ub2 = min(ub2, corners2(b, cl.near, A, B, C))
						}
						// By the Lipschitz bound too: it settles cells across
						// an edge between coplanar facets, where each facet
						// alone is far from a corner beyond it.
						// And by the parent's: the child's own may be looser
						// (its centre's distance plus a radius), and a cell
						// capped at maxDevDepth would report it.
						R2 := max(dist2(A, g), dist2(B, g), dist2(C, g))
						ub := min(math.Sqrt(ub2), math.Sqrt(d2)+math.Sqrt(R2), cl.ub)
						if ub <= best*(1+rel)+abs || cl.depth == maxDevDepth {
							top = max(top, ub)
							continue
						}
						ab, bc, ca := mid(A, B), mid(B, C), mid(C, A)
						n, dp := int32(tri), cl.depth+1
						stack = append(stack, devCell{[3]v64{A, ab, ca}, n, dp, ub}, devCell{[3]v64{ab, B, bc}, n, dp, ub}, devCell{[3]v64{ca, bc, C}, n, dp, ub}, devCell{[3]v64{ab, bc, ca}, n, dp, ub})
					}
				}
			}
			his[w] = top
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return 0, 0, err
	}
	lo = math.Float64frombits(shared.Load())
	return lo, max(lo, slices.Max(his)), nil
}

// devCell is a piece of a facet being refined, the facet of the other
// mesh nearest its parent's centre (-1 for none), how many times its
// facet was split to make it, and its parent's upper bound (which holds
// for the piece too).
type devCell struct {
	c     [3]v64
	near  int32
	depth int32
	ub    float64
}

// maxDevDepth caps the refinement (a facet makes at most 4^10 cells): a
// distance of 0 between different tessellations of one plane would
// otherwise split the cells along every edge without end. Such cells
// settle at their bound, which hi then reports.
const maxDevDepth = 10

// corners2 is the largest squared distance from A, B or C to facet f of m:
// the largest from any point of their triangle, the distance to a facet
// being convex.
func corners2(m *Mesh, f int32, A, B, C v64) float64 {
	return max(facetDist2(m, f, A), facetDist2(m, f, B), facetDist2(m, f, C))
}

// facetDist2 is the squared distance from p to facet f of m.
func facetDist2(m *Mesh, f int32, p v64) float64 {
	x, y, z := m.Triangle(int(f))
	return dist2(p, closestOnTriangle(p, to64(x), to64(y), to64(z)))
}

// raiseShared raises the non-negative float64 whose bits u holds to d, if
// d is larger (such floats order like their bits).
func raiseShared(u *atomic.Uint64, d float64) {
	for old := u.Load(); math.Float64bits(d) > old && !u.CompareAndSwap(old, math.Float64bits(d)); old = u.Load() {
	}
}
