// Package geometry is meshops' mesh library: reading and validating STL and
// other formats, indexed triangle meshes, and the algorithms that work on them.
//
// It imports nothing of the service (no HTTP, no storage) so it can be used on
// its own. Every reader streams and bounds its allocations by the bytes it has
// actually seen, never by a count a header claims.
//
// Arithmetic works on v64, a struct of three float64, and on scalars: Go
// keeps a struct of up to four fields in registers but an array of more
// than one element in memory, so vector code on [3]float64 ran several
// times slower (closestOnTriangle 113 ns a call against 14 ns). Arrays
// remain for storage (Vec3, the public reports) and for loops over axes
// outside hot paths.
package geometry
