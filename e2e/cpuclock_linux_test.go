//go:build linux

package e2e

import (
	"runtime"
	"syscall"
	"time"
	"unsafe"
)

// threadCPU reads the calling thread's CPU time (CLOCK_THREAD_CPUTIME_ID),
// so an interleaved benchmark that locked its goroutine to its thread
// measures the work it did, not the time other processes took the core.
// The wasm guest runs on the calling thread, so its work is included.
func threadCPU() time.Duration {
	var ts syscall.Timespec
	const clockThreadCPUTime = 3
	if _, _, e := syscall.Syscall(syscall.SYS_CLOCK_GETTIME, clockThreadCPUTime, uintptr(unsafe.Pointer(&ts)), 0); e != 0 {
		return 0
	}
	return time.Duration(ts.Nano())
}

// lockThread pins the benchmark goroutine to its thread for threadCPU.
func lockThread() func() {
	runtime.LockOSThread()
	return runtime.UnlockOSThread
}
