//go:build linux

package hugeheap

import "syscall"

const supported = true

// advise is madvise(MADV_HUGEPAGE) on [addr, addr+n). Parts of the range
// that are not mapped are skipped (the call then fails with ENOMEM, which
// changes nothing for the mapped parts).
func advise(addr, n uintptr) {
	syscall.Syscall(syscall.SYS_MADVISE, addr, n, 14)
}

// totalMemory is the machine's RAM in bytes (0 if unknown).
func totalMemory() uint64 {
	var si syscall.Sysinfo_t
	if syscall.Sysinfo(&si) != nil {
		return 0
	}
	return uint64(si.Totalram) * uint64(si.Unit)
}
