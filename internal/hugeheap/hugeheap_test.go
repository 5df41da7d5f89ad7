package hugeheap

import (
	"runtime"
	"testing"
	"unsafe"
)

// Reserve only advises: the heap stays usable and the reserved memory is
// freed, not kept.
func TestReserveFreesItsBlock(t *testing.T) {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	Reserve(64 << 20)
	runtime.GC()
	runtime.ReadMemStats(&after)
	if grown := int64(after.HeapAlloc) - int64(before.HeapAlloc); grown > 8<<20 {
		t.Errorf("live heap grew by %d bytes after Reserve", grown)
	}
	b := make([]uint64, 4<<20)
	Advise(unsafe.Pointer(unsafe.SliceData(b)), uintptr(len(b))*8)
	for i := range b {
		b[i] = uint64(i)
	}
	for i, v := range b {
		if v != uint64(i) {
			t.Fatalf("b[%d] = %d after Advise", i, v)
		}
	}
	Reserve(1 << 20) // too small: nothing happens
	Advise(unsafe.Pointer(unsafe.SliceData(b)), 100)
}
