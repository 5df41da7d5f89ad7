package geometry

import (
	"context"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
)

// Collapses run on several cores in slabs. The vertices are cut into
// slabs of equal count along the longest axis; a collapse v→u reads and
// writes only the facets around v and u, so a worker may take a
// candidate when every facet within two rings of v lies in its own slab:
// no two workers then touch the same facet, vertex or sample, and the
// result does not depend on timing. The candidates near a cut are left
// (in order) for the caller to run on one core afterwards.
//
// cutSlabs numbers the slabs and marks the vertices near a cut for a
// pass. Collapses taken in slabs never bring a facet across a cut, so the
// marks hold for every batch of the pass.
func (s *simplifier) cutSlabs(workers int, lists [][]cand, limit float32) (slab, near []uint8) {
	slab = s.slabsOf(workers, lists, limit)
	// near[v]: 1 if a facet around v spans two slabs, 2 if a neighbour's
	// does; a candidate is a worker's when near[from] is 0. The pass's
	// tables are kept for the next (on a million triangles they were 24
	// MB of garbage over the passes, all fresh memory).
	near = slices.Grow(s.nearBuf[:0], len(s.pos))[:len(s.pos)]
	s.nearBuf = near
	clear(near)
	// All cores find the facets (few: those along the cuts), one marks.
	for _, f := range s.facetsWhere(func(t [3]int32) bool { return slab[t[0]] != slab[t[1]] || slab[t[0]] != slab[t[2]] }) {
		t := s.f[f].t
		near[t[0]], near[t[1]], near[t[2]] = 1, 1, 1
	}
	for _, f := range s.facetsWhere(func(t [3]int32) bool { return near[t[0]] == 1 || near[t[1]] == 1 || near[t[2]] == 1 }) {
		for _, v := range s.f[f].t {
			if near[v] == 0 {
				near[v] = 2 // not over a 1: the facets after this one must still see it
			}
		}
	}
	return slab, near
}

// facetsWhere lists the live facets for which pick holds, in order, found
// on all cores (pick may not write).
func (s *simplifier) facetsWhere(pick func(t [3]int32) bool) []int32 {
	chunks := rangeChunks(len(s.f))
	if len(s.pickBuf) != chunks {
		s.pickBuf = make([][]int32, chunks)
	}
	parallelRanges(context.Background(), len(s.f), func(c, lo, hi int) {
		got := s.pickBuf[c][:0]
		for i := lo; i < hi; i++ {
			if t := s.f[i].t; t[0] >= 0 && pick(t) {
				got = append(got, int32(i))
			}
		}
		s.pickBuf[c] = got
	})
	all := s.pickAll[:0]
	for _, got := range s.pickBuf {
		all = append(all, got...)
	}
	s.pickAll = all
	return all
}

// collapseInSlabs runs one batch of candidates in the slabs cutSlabs made,
// appends those near a cut to rest, and returns how many collapsed.
func (s *simplifier) collapseInSlabs(ctx context.Context, cands []cand, slabs int, slab, near []uint8, rest []cand) (int, []cand, error) {
	if len(s.ownBuf) != slabs {
		s.ownBuf = make([][]cand, slabs)
	}
	own := s.ownBuf
	for r := range own {
		own[r] = slices.Grow(own[r][:0], len(cands)/slabs+len(cands)/16)
	}
	for _, c := range cands {
		if near[c.from] == 0 {
			own[slab[c.from]] = append(own[slab[c.from]], c)
		} else {
			rest = append(rest, c)
		}
	}
	// Each core takes the next slab not yet taken: collapses cost more in
	// some parts of a mesh than in others.
	workers := min(runtime.GOMAXPROCS(0), slabs)
	done := make([]int, workers)
	removed, proofs := make([]int, workers), make([]int, workers)
	later := make([][]cand, workers) // deferred to one core: see crossesNearby
	for len(s.nearPool) < workers {
		s.nearPool = append(s.nearPool, new([2]markSet))
	}
	var next atomic.Int32
	var wg sync.WaitGroup
	for r := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w := s.worker(r)
			w.nearMarks = near
			for k := int(next.Add(1) - 1); k < slabs; k = int(next.Add(1) - 1) {
				for i, c := range own[k] {
					if i&1023 == 0 && ctx.Err() != nil {
						return
					}
					if w.locked[c.from] != 0 || w.locked[c.to] != 0 {
						continue
					}
					switch {
					case w.collapse(c.from, c.to):
						w.locked[c.from], w.locked[c.to] = c.to+1, c.from+1
						done[r]++
					case w.deferred:
						w.deferred = false
						later[r] = append(later[r], c)
					default:
						w.refuse(c.from, c.to)
					}
				}
			}
			removed[r], proofs[r] = s.live-w.live, w.movedProofs-s.movedProofs
		}()
	}
	wg.Wait()
	n := 0
	for r := range workers {
		n += done[r]
		s.live -= removed[r]
		s.movedProofs += proofs[r]
		rest = append(rest, later[r]...)
	}
	return n, rest, ctx.Err()
}

// worker is a copy of s that shares its mesh state (facets, samples,
// bounds, locks) and has its own scratch space (worker r's crossesNearby
// sets are kept in nearPool).
func (s *simplifier) worker(r int) *simplifier {
	w := *s
	w.moved, w.assign, w.samples, w.ring, w.uFaces, w.nbrV, w.nbrU, w.nbrP, w.newN, w.bMerge, w.cands, w.unvouched = nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil
	w.near2, w.movedBox, w.bCones, w.bLimit, w.ringP = s.nearPool[r], nil, nil, nil, nil
	return &w
}

// slabsOf gives each vertex a slab number in [0, k): cuts across the
// longest axis with equal numbers of the pass's candidates (those up to
// limit) on each side. Vertices never move, so each one's bin along the
// axis is found once and kept; a pass only counts the candidates per bin
// and maps bins to slabs. (Equal numbers of vertices had left one core
// with a fifth more collapses than the other.)
func (s *simplifier) slabsOf(k int, lists [][]cand, limit float32) []uint8 {
	const bins = 4096
	if s.binOf == nil {
		lo, hi := s.pos[0].arr(), s.pos[0].arr()
		for _, p := range s.pos {
			for a := range 3 {
				lo[a], hi[a] = min(lo[a], p.at(a)), max(hi[a], p.at(a))
			}
		}
		axis := 0
		for a := 1; a < 3; a++ {
			if hi[a]-lo[a] > hi[axis]-lo[axis] {
				axis = a
			}
		}
		scale := bins / max(hi[axis]-lo[axis], 1e-300) * (1 - 1e-9)
		s.binOf = make([]uint16, len(s.pos))
		for v, p := range s.pos {
			s.binOf[v] = uint16(min(int((p.at(axis)-lo[axis])*scale), bins-1))
		}
	}
	var hist [bins]int
	total := 0
	for _, l := range lists {
		for _, c := range l {
			if c.cost <= limit {
				hist[s.binOf[c.from]]++
				total++
			}
		}
	}
	// slabOfBin[b]: how many cuts lie at or below bin b (a cut is the
	// first bin of the next slab).
	var slabOfBin [bins]uint8
	acc, cuts := 0, 0
	for b := range bins {
		acc += hist[b]
		slabOfBin[b] = uint8(cuts)
		for cuts < k-1 && acc*k >= total*(cuts+1) {
			cuts++
		}
	}
	slab := slices.Grow(s.slabBuf[:0], len(s.pos))[:len(s.pos)]
	s.slabBuf = slab
	for v, b := range s.binOf {
		slab[v] = slabOfBin[b]
	}
	return slab
}

// slabsPerCore is how many slabs a pass cuts per core, so that a core
// that finishes early can take another; maxSlabs caps them.
const slabsPerCore = 2

// maxSlabs is the most slabs a pass cuts.
const maxSlabs = 64

// interleave writes into dst the taken candidates that src holds by band
// and then by slab (count[b][r] of band b in slab r), band by band, each
// band's slabs merged in proportion: the e-th of slab r's n goes where
// (e + ½) / n ranks among all the band's. Each slab keeps its order.
func interleave(dst, src []cand, count [][maxSlabs]int, k int) {
	o := 0
	var from, emitted [maxSlabs]int
	for b := range count {
		for r := range k {
			from[r], emitted[r] = o, 0
			o += count[b][r]
		}
		for range o - from[0] {
			best := -1
			for r := range k {
				if emitted[r] == count[b][r] {
					continue
				}
				// (2e+1)/n below the best's: cross-multiplied.
				if best < 0 || (2*emitted[r]+1)*count[b][best] < (2*emitted[best]+1)*count[b][r] {
					best = r
				}
			}
			dst[0] = src[from[best]+emitted[best]]
			dst = dst[1:]
			emitted[best]++
		}
	}
}

// simplifyParMin is the fewest candidates a pass runs on several cores:
// below it, cutting the slabs costs more than the second core saves (the
// extruder wrap's staircase reduction: 8192 → 4096 took it from 79 to
// 74 ms; its last passes differ, 10,404 triangles instead of 10,410).
const simplifyParMin = 4096
