//go:build !linux

package hugeheap

const supported = false

func advise(addr, n uintptr) {}

func totalMemory() uint64 { return 0 }
