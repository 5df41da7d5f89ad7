package geometry

import "context"

// CountIntersectingTriangles counts triangles that cross a triangle they
// share no vertex with. (Placeholder until the BVH lands.)
func CountIntersectingTriangles(ctx context.Context, m *Mesh) (int, error) {
	return 0, nil
}
