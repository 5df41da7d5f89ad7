package geometry

import "testing"

func TestHalvedNodesCountsTheTree(t *testing.T) {
	for _, n := range []int{1, 3, 4, 5, 8, 9, 17, 100, 1000, 1074744} {
		var cnt func(int) int
		cnt = func(s int) int {
			if s <= bvhLeafSize {
				return 1
			}
			return 1 + cnt(s/2) + cnt(s-s/2)
		}
		if cnt(n) != halvedNodes(n) {
			t.Errorf("%d: %d != %d", n, cnt(n), halvedNodes(n))
		}
	}
}
