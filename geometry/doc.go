// Package geometry is meshops' mesh library: reading and validating STL and
// other formats, indexed triangle meshes, and the algorithms that work on them.
//
// It imports nothing of the service (no HTTP, no storage) so it can be used on
// its own. Every reader streams and bounds its allocations by the bytes it has
// actually seen, never by a count a header claims.
package geometry
