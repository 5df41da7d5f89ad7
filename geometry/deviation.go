package geometry

import (
	"context"
	"math"
	"runtime"
	"slices"
	"sync"
)

// Nearest returns the squared distance from p to the nearest triangle of
// m (within within2; ok false if none is that close).
func (h *BVH) Nearest(m *Mesh, p [3]float64, within2 float64) (dist2 float64, ok bool) {
	_, _, dist2, ok = h.NearestFacing(m, nil, nil, p, within2, [3]float64{}, 0)
	return
}

// Within reports whether some triangle of m is closer to p than
// sqrt(within2), stopping at the first one found.
func (h *BVH) Within(m *Mesh, p [3]float64, within2 float64) bool {
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
						pt := [3]float64{w*A[0] + u*B[0] + v*C[0], w*A[1] + u*B[1] + v*C[1], w*A[2] + u*B[2] + v*C[2]}
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
