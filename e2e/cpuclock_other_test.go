//go:build !linux

package e2e

import "time"

var cpuStart = time.Now()

// threadCPU falls back to the wall clock where the thread CPU clock is not
// available.
func threadCPU() time.Duration { return time.Since(cpuStart) }

func lockThread() func() { return func() {} }
