package wasmguest

import (
	"crypto/rand"
	"encoding/binary"

	"github.com/tetratelabs/wazero/api"

	"github.com/apiguard/apiguard/filter/proxy"
)

// WASI errno values cpp-host returns.
const (
	errnoSuccess  = 0
	errnoBadf     = 8
	errnoFault    = 21
	errnoInval    = 28
	errnoNoent    = 44
	errnoNosys    = 52
	errnoNotdir   = 20
	errnoNotsup   = 58
	maxRandomSize = 64 << 10
)

// WASI clock ids.
const (
	clockRealtime  = 0
	clockMonotonic = 1
)

func errno(s []uint64, e uint32) { s[0] = uint64(e) }

func sigI(params ...api.ValueType) sig { return sig{params, oneI} }

// wasiFuncs is cpp-host's WASI table for both eras (docs/internals/proxy-wasm.md
// §2.1). profiles says which era registers a function; allow gives the
// restricted-callback windows (§2.2).
var wasiFuncs = []*hostFunc{
	// The 427-era set (Envoy 1.33–1.38), unchanged in 533+.
	{name: "fd_write", sig: sigI(i32, i32, i32, i32), profiles: inAll, allow: allowInit | allowAlloc, fn: wFdWrite},
	{name: "fd_read", sig: sigI(i32, i32, i32, i32), profiles: inAll, fn: wNosys},
	{name: "fd_seek", sig: sigI(i32, i64, i32, i32), profiles: inAll, fn: wLoggedStub("wasi_unstable fd_seek")},
	{name: "fd_close", sig: sigI(i32), profiles: inAll, fn: wLoggedStub("wasi_unstable fd_close")},
	{name: "fd_fdstat_get", sig: sigI(i32, i32), profiles: inAll, allow: allowInit, fn: wFdFdstatGet},
	{name: "fd_fdstat_set_flags", sig: sigI(i32, i32), profiles: inAll, allow: allowInit, fn: wNosys},
	{name: "environ_get", sig: sigI(i32, i32), profiles: inAll, allow: allowInit, fn: wEnvironGet},
	{name: "environ_sizes_get", sig: sigI(i32, i32), profiles: inAll, allow: allowInit, fn: wEnvironSizesGet},
	{name: "args_get", sig: sigI(i32, i32), profiles: inAll, allow: allowInit, fn: wSuccess},
	{name: "args_sizes_get", sig: sigI(i32, i32), profiles: inAll, allow: allowInit, fn: wArgsSizesGet},
	{name: "clock_time_get", sig: sigI(i32, i64, i32), profiles: inAll, allow: allowInit | allowAlloc, fn: wClockTimeGet},
	{name: "random_get", sig: sigI(i32, i32), profiles: inAll, allow: allowInit, fn: wRandomGet},
	{name: "proc_exit", sig: sig{oneI, none}, profiles: inAll, fn: wProcExit},
	{name: "path_open", sig: sigI(i32, i32, i32, i32, i32, i64, i64, i32, i32), profiles: inAll, fn: wErrno(errnoNoent)},
	{name: "fd_prestat_get", sig: sigI(i32, i32), profiles: inAll, allow: allowInit, fn: wErrno(errnoBadf)},
	{name: "fd_prestat_dir_name", sig: sigI(i32, i32, i32), profiles: inAll, allow: allowInit, fn: wNosys},
	{name: "sched_yield", sig: sigI(), profiles: inAll, fn: wSuccess},
	{name: "poll_oneoff", sig: sigI(i32, i32, i32, i32), profiles: inAll, allow: allowInit139 | allowAlloc139, fn: wPollOneoff},

	// Added by cpp-host #533 (Envoy 1.39+); allowed during _initialize.
	{name: "clock_res_get", sig: sigI(i32, i32), fn: wClockResGet},
	{name: "fd_advise", sig: sigI(i32, i64, i64, i32), fn: wSuccess},
	{name: "fd_allocate", sig: sigI(i32, i64, i64), fn: wStdioOK},
	{name: "fd_datasync", sig: sigI(i32), fn: wStdioOK},
	{name: "fd_fdstat_set_rights", sig: sigI(i32, i64, i64), fn: wStdioOK},
	{name: "fd_filestat_set_size", sig: sigI(i32, i64), fn: wStdioOK},
	{name: "fd_filestat_set_times", sig: sigI(i32, i64, i64, i32), fn: wStdioOK},
	{name: "fd_sync", sig: sigI(i32), fn: wStdioOK},
	{name: "fd_pread", sig: sigI(i32, i32, i32, i64, i32), fn: wNosys},
	{name: "fd_pwrite", sig: sigI(i32, i32, i32, i64, i32), fn: wFdPwrite},
	{name: "fd_readdir", sig: sigI(i32, i32, i32, i64, i32), fn: wFdReaddir},
	{name: "fd_renumber", sig: sigI(i32, i32), fn: wFdRenumber},
	{name: "fd_tell", sig: sigI(i32, i32), fn: wFdTell},
	{name: "fd_filestat_get", sig: sigI(i32, i32), fn: wErrno(errnoBadf)},
	{name: "path_filestat_get", sig: sigI(i32, i32, i32, i32, i32), fn: wErrno(errnoNotsup)},
	// The remaining #533 stubs: exact errnos unverified (docs/internals/proxy-wasm.md only
	// says "stubs (error codes)"); ENOTSUP is the conservative answer for a
	// host without a filesystem or sockets.
	{name: "path_create_directory", sig: sigI(i32, i32, i32), fn: wErrno(errnoNotsup)},
	{name: "path_filestat_set_times", sig: sigI(i32, i32, i32, i32, i64, i64, i32), fn: wErrno(errnoNotsup)},
	{name: "path_link", sig: sigI(i32, i32, i32, i32, i32, i32, i32), fn: wErrno(errnoNotsup)},
	{name: "path_readlink", sig: sigI(i32, i32, i32, i32, i32, i32), fn: wErrno(errnoNotsup)},
	{name: "path_remove_directory", sig: sigI(i32, i32, i32), fn: wErrno(errnoNotsup)},
	{name: "path_rename", sig: sigI(i32, i32, i32, i32, i32, i32), fn: wErrno(errnoNotsup)},
	{name: "path_symlink", sig: sigI(i32, i32, i32, i32, i32), fn: wErrno(errnoNotsup)},
	{name: "path_unlink_file", sig: sigI(i32, i32, i32), fn: wErrno(errnoNotsup)},
	{name: "sock_accept", sig: sigI(i32, i32, i32), fn: wErrno(errnoNotsup)},
	{name: "sock_recv", sig: sigI(i32, i32, i32, i32, i32, i32), fn: wErrno(errnoNotsup)},
	{name: "sock_send", sig: sigI(i32, i32, i32, i32, i32), fn: wErrno(errnoNotsup)},
	{name: "sock_shutdown", sig: sigI(i32, i32), fn: wErrno(errnoNotsup)},
}

func init() {
	for _, f := range wasiFuncs {
		f.module = modWASI
		if f.profiles == 0 { // a #533 addition
			f.profiles = in139
			f.allow |= allowInit139
		}
	}
}

func wSuccess(_ *vm, s []uint64) { errno(s, errnoSuccess) }
func wNosys(_ *vm, s []uint64)   { errno(s, errnoNosys) }

func wErrno(e uint32) func(*vm, []uint64) {
	return func(_ *vm, s []uint64) { errno(s, e) }
}

// wLoggedStub: cpp-host logs an error through the context and reports
// success.
func wLoggedStub(msg string) func(*vm, []uint64) {
	return func(v *vm, s []uint64) {
		v.host.Log(proxy.LogError, msg)
		errno(s, errnoSuccess)
	}
}

func isStdio(fd uint32) bool { return fd == 1 || fd == 2 }

func wStdioOK(_ *vm, s []uint64) {
	if isStdio(u32(s[0])) {
		errno(s, errnoSuccess)
	} else {
		errno(s, errnoBadf)
	}
}

// writev sends stdout to the log at Info and stderr at Error with one
// trailing newline stripped (HOST exports.cc writevImpl).
func (v *vm) writev(fd, iovs, iovsLen uint32) (uint32, uint32) {
	var level proxy.LogLevel
	switch fd {
	case 1:
		level = proxy.LogInfo
	case 2:
		level = proxy.LogError
	default:
		return 0, errnoBadf
	}
	var buf []byte
	for i := uint32(0); i < iovsLen; i++ {
		iov, ok := v.mem.Read(iovs+8*i, 8)
		if !ok {
			return 0, errnoFault
		}
		p, n := binary.LittleEndian.Uint32(iov), binary.LittleEndian.Uint32(iov[4:])
		if n == 0 {
			continue
		}
		b, ok := v.mem.Read(p, n)
		if !ok {
			return 0, errnoFault
		}
		buf = append(buf, b...)
	}
	written := uint32(len(buf))
	if written == 0 {
		return 0, errnoSuccess
	}
	if fd == 2 {
		v.noteStderr(buf)
	}
	if buf[len(buf)-1] == '\n' {
		buf = buf[:len(buf)-1]
	}
	if v.host.Log(level, string(buf)) != proxy.StatusOK {
		return 0, errnoBadf
	}
	return written, errnoSuccess
}

func wFdWrite(v *vm, s []uint64) {
	n, e := v.writev(u32(s[0]), u32(s[1]), u32(s[2]))
	if e == errnoSuccess && !v.mem.WriteUint32Le(u32(s[3]), n) {
		e = errnoFault
	}
	errno(s, e)
}

func wFdPwrite(v *vm, s []uint64) {
	n, e := v.writev(u32(s[0]), u32(s[1]), u32(s[2]))
	if e == errnoSuccess && !v.mem.WriteUint32Le(u32(s[4]), n) {
		e = errnoFault
	}
	errno(s, e)
}

// wFdFdstatGet: fd 1 and 2 are write-only character-less streams
// (24 bytes, rights_base = FD_WRITE); everything else is EBADF.
func wFdFdstatGet(v *vm, s []uint64) {
	if !isStdio(u32(s[0])) {
		errno(s, errnoBadf)
		return
	}
	var st [24]byte
	st[8] = 64 // fs_rights_base = __WASI_RIGHTS_FD_WRITE
	if !v.mem.Write(u32(s[1]), st[:]) {
		errno(s, errnoFault)
		return
	}
	errno(s, errnoSuccess)
}

func wArgsSizesGet(v *vm, s []uint64) {
	if !v.mem.WriteUint32Le(u32(s[0]), 0) || !v.mem.WriteUint32Le(u32(s[1]), 0) {
		errno(s, errnoFault)
		return
	}
	errno(s, errnoSuccess)
}

func wEnvironSizesGet(v *vm, s []uint64) {
	size := 0
	for _, e := range v.environ {
		size += len(e) + 1
	}
	if !v.mem.WriteUint32Le(u32(s[0]), uint32(len(v.environ))) || !v.mem.WriteUint32Le(u32(s[1]), uint32(size)) {
		errno(s, errnoFault)
		return
	}
	errno(s, errnoSuccess)
}

func wEnvironGet(v *vm, s []uint64) {
	ptrs, buf := u32(s[0]), u32(s[1])
	for i, e := range v.environ {
		if !v.mem.WriteUint32Le(ptrs+4*uint32(i), buf) ||
			!v.mem.WriteString(buf, e) || !v.mem.WriteByte(buf+uint32(len(e)), 0) {
			errno(s, errnoFault)
			return
		}
		buf += uint32(len(e)) + 1
	}
	errno(s, errnoSuccess)
}

// wClockTimeGet: both clocks come from Host.Now so the guest and the
// emulator agree on time; monotonic additionally carries the virtual time
// the guest "slept" in poll_oneoff (see wPollOneoff).
func wClockTimeGet(v *vm, s []uint64) {
	var t uint64
	switch u32(s[0]) {
	case clockRealtime:
		t = uint64(v.host.Now())
	case clockMonotonic:
		t = v.monotonic()
	default:
		errno(s, errnoNotsup)
		return
	}
	if !v.mem.WriteUint64Le(u32(s[2]), t) {
		errno(s, errnoFault)
		return
	}
	errno(s, errnoSuccess)
}

func wClockResGet(v *vm, s []uint64) {
	switch u32(s[0]) {
	case clockRealtime, clockMonotonic:
	default:
		errno(s, errnoNotsup)
		return
	}
	if !v.mem.WriteUint64Le(u32(s[1]), 1) {
		errno(s, errnoFault)
		return
	}
	errno(s, errnoSuccess)
}

func wRandomGet(v *vm, s []uint64) {
	p, n := u32(s[0]), u32(s[1])
	if n > maxRandomSize {
		errno(s, errnoInval)
		return
	}
	b, ok := v.mem.Read(p, n)
	if !ok {
		errno(s, errnoFault)
		return
	}
	_, _ = rand.Read(b)
	errno(s, errnoSuccess)
}

// wProcExit traps. cpp-host only logs "wasi_unstable proc_exit" and
// returns, but a Go guest calls proc_exit only on its way down (panic,
// fatal error, os.Exit) and runs into `unreachable` right after, so the end
// result under Envoy is a trap either way; trapping here keeps the exit
// code in the message.
func wProcExit(v *vm, s []uint64) {
	v.host.Log(proxy.LogError, "wasi_unstable proc_exit")
	panic(&procExitError{code: u32(s[0])})
}

// wPollOneoff is the one function whose behaviour differs between the
// profiles. Envoy133 (427-era): ENOSYS, which the Go runtime turns into
// "fatal error: poll_oneoff failed". Envoy139 (#533): nevents = 0 and
// success. In Envoy the Go scheduler then spins on poll_oneoff until wall
// time reaches its timer; the emulator's clock may be frozen, so instead
// the VM's monotonic clock is advanced by the earliest clock timeout, which
// is what the spin would have observed.
func wPollOneoff(v *vm, s []uint64) {
	if v.profile == Envoy133 {
		errno(s, errnoNosys)
		return
	}
	in, nsubs, nevents := u32(s[0]), u32(s[2]), u32(s[3])
	if !v.mem.WriteUint32Le(nevents, 0) {
		errno(s, errnoFault)
		return
	}
	const subSize = 48
	var advance uint64
	found := false
	now := v.monotonic()
	for i := uint32(0); i < nsubs; i++ {
		sub, ok := v.mem.Read(in+i*subSize, subSize)
		if !ok {
			errno(s, errnoFault)
			return
		}
		if sub[8] != 0 { // not a clock subscription
			continue
		}
		id := binary.LittleEndian.Uint32(sub[16:])
		timeout := binary.LittleEndian.Uint64(sub[24:])
		flags := binary.LittleEndian.Uint16(sub[40:])
		var d uint64
		switch {
		case flags&1 == 0: // relative
			d = timeout
		case id == clockMonotonic:
			if timeout > now {
				d = timeout - now
			}
		default: // absolute realtime: the emulator's clock decides
			if rt := uint64(v.host.Now()); timeout > rt {
				d = timeout - rt
			}
		}
		if !found || d < advance {
			advance, found = d, true
		}
	}
	v.monoSkew += advance
	errno(s, errnoSuccess)
}

func wFdReaddir(v *vm, s []uint64) {
	if !v.mem.WriteUint32Le(u32(s[4]), 0) {
		errno(s, errnoFault)
		return
	}
	errno(s, errnoNotdir)
}

func wFdRenumber(_ *vm, s []uint64) {
	if u32(s[0]) > 2 || u32(s[1]) > 2 {
		errno(s, errnoBadf)
		return
	}
	errno(s, errnoNotsup)
}

func wFdTell(v *vm, s []uint64) {
	if !isStdio(u32(s[0])) {
		errno(s, errnoBadf)
		return
	}
	if !v.mem.WriteUint64Le(u32(s[1]), 0) {
		errno(s, errnoFault)
		return
	}
	errno(s, errnoSuccess)
}
