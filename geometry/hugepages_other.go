//go:build !linux

package geometry

func adviseHuge[T any](s []T) {}
