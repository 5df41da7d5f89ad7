package geometry

import (
	"math"
	"sync"
	"sync/atomic"
)

// BVH is a bounding volume hierarchy over a mesh's triangles. It is a
// linear BVH: triangles sorted by the Morton code of their centroids (a
// radix sort), then ranges halved recursively, so building is O(n) after the
// sort and neighbours in space are neighbours in memory.
type BVH struct {
	nodes []bvhNode
	tris  []uint32 // triangle indices in Morton order; leaves point into this
	boxes []box    // the box of tris[i], same order (for cheap culling)
}

type bvhNode struct {
	min, max [3]float32
	// For a leaf, first/count index tris; for an inner node count is 0 and
	// the children are nodes first and first+1.
	first, count uint32
}

const bvhLeafSize = 4

// NewBVH builds the hierarchy over all triangles of m.
func NewBVH(m *Mesh) *BVH {
	n := len(m.Triangles)
	h := &BVH{}
	if n == 0 {
		return h
	}
	tb := make([]box, n)
	AdviseHuge(tb)
	// The centres' box in scalars, which stay in registers.
	inf := float32(math.Inf(1))
	lx, ly, lz, hx, hy, hz := inf, inf, inf, -inf, -inf, -inf
	for i := range n {
		b := triBox(m, i)
		tb[i] = b
		cx, cy, cz := (b.min[0]+b.max[0])/2, (b.min[1]+b.max[1])/2, (b.min[2]+b.max[2])/2
		lx, ly, lz, hx, hy, hz = min(lx, cx), min(ly, cy), min(lz, cz), max(hx, cx), max(hy, cy), max(hz, cz)
	}
	cb := box{min: [3]float32{lx, ly, lz}, max: [3]float32{hx, hy, hz}}
	keys := make([]uint64, n)
	var inv [3]float32
	for k := range 3 {
		if ext := cb.max[k] - cb.min[k]; ext > 0 {
			inv[k] = 1023 / ext
		}
	}
	for i := range n {
		c := tb[i].centre()
		qx := uint32((c[0] - cb.min[0]) * inv[0])
		qy := uint32((c[1] - cb.min[1]) * inv[1])
		qz := uint32((c[2] - cb.min[2]) * inv[2])
		keys[i] = uint64(morton3(qx, qy, qz))<<32 | uint64(i)
	}
	radixSortHigh32(keys)
	h.tris = make([]uint32, n)
	h.boxes = make([]box, n)
	AdviseHuge(h.boxes)
	for i, k := range keys {
		h.tris[i] = uint32(k)
		h.boxes[i] = tb[uint32(k)]
	}
	// Nodes in breadth-first order: children always after parents, so one
	// backward pass computes every box from its children's.
	total := halvedNodes(n)
	h.nodes = make([]bvhNode, 1, total)
	type span struct{ lo, hi uint32 }
	spans := make([]span, 1, total)
	spans[0] = span{0, uint32(n)}
	for i := 0; i < len(h.nodes); i++ {
		sp := spans[i]
		if sp.hi-sp.lo <= bvhLeafSize {
			h.nodes[i].first, h.nodes[i].count = sp.lo, sp.hi-sp.lo
			continue
		}
		mid := (sp.lo + sp.hi) / 2
		h.nodes[i].first = uint32(len(h.nodes))
		h.nodes = append(h.nodes, bvhNode{}, bvhNode{})
		spans = append(spans, span{sp.lo, mid}, span{mid, sp.hi})
	}
	for i := len(h.nodes) - 1; i >= 0; i-- {
		nd := &h.nodes[i]
		var bb box
		bb.reset()
		if nd.count > 0 {
			for _, b := range h.boxes[nd.first : nd.first+nd.count] {
				bb.add(b.min[0], b.min[1], b.min[2])
				bb.add(b.max[0], b.max[1], b.max[2])
			}
		} else {
			for _, c := range h.nodes[nd.first : nd.first+2] {
				bb.add(c.min[0], c.min[1], c.min[2])
				bb.add(c.max[0], c.max[1], c.max[2])
			}
		}
		nd.min, nd.max = bb.min, bb.max
	}
	return h
}

// triBox is the box of triangle i.
func triBox(m *Mesh, i int) box {
	a, b, c := m.Triangle(i)
	return box{
		min: [3]float32{min(a[0], b[0], c[0]), min(a[1], b[1], c[1]), min(a[2], b[2], c[2])},
		max: [3]float32{max(a[0], b[0], c[0]), max(a[1], b[1], c[1]), max(a[2], b[2], c[2])},
	}
}

// centre is the box's centre.
func (b *box) centre() [3]float32 {
	return [3]float32{(b.min[0] + b.max[0]) / 2, (b.min[1] + b.max[1]) / 2, (b.min[2] + b.max[2]) / 2}
}

// halvedNodes is the number of nodes of a tree that halves n triangles
// (the lower half rounded down) down to leaves of at most bvhLeafSize: at
// each depth the ranges have at most two sizes, so this takes O(log n).
func halvedNodes(n int) int {
	sizes := map[int]int{n: 1} // range size → how many at this depth
	total := 0
	for len(sizes) > 0 {
		next := map[int]int{}
		for size, count := range sizes {
			total += count
			if size > bvhLeafSize {
				next[size/2] += count
				next[size-size/2] += count
			}
		}
		sizes = next
	}
	return total
}

// morton3 interleaves the low 10 bits of x, y, z.
func morton3(x, y, z uint32) uint32 {
	return spread3(x) | spread3(y)<<1 | spread3(z)<<2
}

func spread3(v uint32) uint32 {
	v &= 0x3ff
	v = (v | v<<16) & 0x030000FF
	v = (v | v<<8) & 0x0300F00F
	v = (v | v<<4) & 0x030C30C3
	v = (v | v<<2) & 0x09249249
	return v
}

// radixSortHigh32 sorts keys by their upper 32 bits (LSD, 4 passes of 8
// bits; stable, so equal codes keep index order).
func radixSortHigh32(keys []uint64) {
	tmp := make([]uint64, len(keys))
	src, dst := keys, tmp
	for shift := uint(32); shift < 64; shift += 8 {
		var count [257]int
		for _, k := range src {
			count[(k>>shift&0xff)+1]++
		}
		for i := 1; i < 257; i++ {
			count[i] += count[i-1]
		}
		for _, k := range src {
			b := k >> shift & 0xff
			dst[count[b]] = k
			count[b]++
		}
		src, dst = dst, src
	}
	// Four passes: the sorted data is back in keys.
}

// Overlapping calls fn for every triangle whose own box overlaps [lo, hi];
// fn returns false to stop early.
func (h *BVH) Overlapping(lo, hi [3]float32, fn func(tri uint32) bool) {
	if len(h.nodes) == 0 {
		return
	}
	var stack [64]uint32
	sp := 0
	stack[sp] = 0
	sp++
	for sp > 0 {
		sp--
		nd := &h.nodes[stack[sp]]
		if nd.min[0] > hi[0] || nd.max[0] < lo[0] || nd.min[1] > hi[1] || nd.max[1] < lo[1] || nd.min[2] > hi[2] || nd.max[2] < lo[2] {
			continue
		}
		if nd.count > 0 {
			for i := nd.first; i < nd.first+nd.count; i++ {
				b := &h.boxes[i]
				if b.min[0] > hi[0] || b.max[0] < lo[0] || b.min[1] > hi[1] || b.max[1] < lo[1] || b.min[2] > hi[2] || b.max[2] < lo[2] {
					continue
				}
				if !fn(h.tris[i]) {
					return
				}
			}
			continue
		}
		stack[sp] = nd.first
		stack[sp+1] = nd.first + 1
		sp += 2
	}
}

// expand grows a box by a relative margin so touching boxes overlap.
func expand(lo, hi [3]float32) ([3]float32, [3]float32) {
	for k := range 3 {
		e := float32(1e-6) * (float32(math.Abs(float64(lo[k]))) + float32(math.Abs(float64(hi[k]))) + 1e-6)
		lo[k] -= e
		hi[k] += e
	}
	return lo, hi
}

// SelfPairs calls fn(worker, i, j) once for every unordered pair of
// distinct triangles whose boxes overlap (touching counts), walking the tree
// against itself so each overlapping node pair is visited once. The work is
// split across workers goroutines; fn must be safe for that (worker tells
// which goroutine calls). It returns early, with false, when stop reports true.
func (h *BVH) SelfPairs(workers int, stop func() bool, fn func(worker int, i, j uint32)) bool {
	if len(h.nodes) == 0 {
		return true
	}
	// Expand self(root) into independent tasks: self(n) = self(l) + self(r) + pair(l, r).
	type task struct {
		a, b uint32
		self bool
	}
	tasks := []task{{0, 0, true}}
	for changed := true; changed && len(tasks) < 16*workers; {
		changed = false
		var next []task
		for _, t := range tasks {
			nd := h.nodes[t.a]
			if t.self && nd.count == 0 {
				l, r := nd.first, nd.first+1
				next = append(next, task{l, l, true}, task{r, r, true}, task{l, r, false})
				changed = true
			} else {
				next = append(next, t)
			}
		}
		tasks = next
	}
	var nextTask atomic.Int64
	var wg sync.WaitGroup
	var stopped atomic.Bool
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				k := int(nextTask.Add(1) - 1)
				if k >= len(tasks) || stopped.Load() {
					return
				}
				if stop() {
					stopped.Store(true)
					return
				}
				t := tasks[k]
				if t.self {
					h.selfNode(w, t.a, fn)
				} else {
					h.pairNodes(w, t.a, t.b, fn)
				}
			}
		}()
	}
	wg.Wait()
	return !stopped.Load()
}

func overlaps(a, b *[3]float32, c, d *[3]float32) bool {
	return a[0] <= d[0] && c[0] <= b[0] && a[1] <= d[1] && c[1] <= b[1] && a[2] <= d[2] && c[2] <= b[2]
}

func (h *BVH) selfNode(w int, n uint32, fn func(int, uint32, uint32)) {
	nd := &h.nodes[n]
	if nd.count > 0 {
		for i := nd.first; i < nd.first+nd.count; i++ {
			for j := i + 1; j < nd.first+nd.count; j++ {
				if overlaps(&h.boxes[i].min, &h.boxes[i].max, &h.boxes[j].min, &h.boxes[j].max) {
					fn(w, h.tris[i], h.tris[j])
				}
			}
		}
		return
	}
	h.selfNode(w, nd.first, fn)
	h.selfNode(w, nd.first+1, fn)
	h.pairNodes(w, nd.first, nd.first+1, fn)
}

func (h *BVH) pairNodes(w int, a, b uint32, fn func(int, uint32, uint32)) {
	na, nb := &h.nodes[a], &h.nodes[b]
	if !overlaps(&na.min, &na.max, &nb.min, &nb.max) {
		return
	}
	switch {
	case na.count > 0 && nb.count > 0:
		for i := na.first; i < na.first+na.count; i++ {
			for j := nb.first; j < nb.first+nb.count; j++ {
				if overlaps(&h.boxes[i].min, &h.boxes[i].max, &h.boxes[j].min, &h.boxes[j].max) {
					fn(w, h.tris[i], h.tris[j])
				}
			}
		}
	case na.count > 0:
		h.pairNodes(w, a, nb.first, fn)
		h.pairNodes(w, a, nb.first+1, fn)
	default:
		h.pairNodes(w, na.first, b, fn)
		h.pairNodes(w, na.first+1, b, fn)
	}
}
