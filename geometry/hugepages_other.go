//go:build !linux

package geometry

// AdviseHuge does nothing where transparent huge pages are not a thing.
func AdviseHuge[T any](s []T) {}
