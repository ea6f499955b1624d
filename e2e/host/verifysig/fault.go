package verifysig

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"encoding/asn1"
	"math/big"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/apiguard/apiguard/filter/proxy"
)

// Fault is a way for a host's verify_signature to lie or fail. Every test
// that needs a dishonest host takes it from here.
type Fault int32

const (
	// Honest answers as Envoy does (Call).
	Honest Fault = iota
	// AlwaysTrue answers Ok with true to anything, even arguments that
	// do not parse.
	AlwaysTrue
	// AlwaysFalse answers Ok with false (an empty result) to anything.
	AlwaysFalse
	// IgnoreText answers true when the signature would be valid for some
	// text: an RSA signature that opens to a well-formed PKCS#1 v1.5 block
	// of the hash, whatever digest it holds; an ECDSA signature whose r and
	// s are in range (every such pair verifies some digest).
	IgnoreText
	// IgnoreHash answers true when the signature verifies under any of the
	// five hashes, whatever hash_function names.
	IgnoreHash
	// FailBadArgument answers BadArgument to everything.
	FailBadArgument
	// FailInternal answers InternalFailure to everything.
	FailInternal
)

var faultNames = [...]string{"honest", "always-true", "always-false", "ignore-text", "ignore-hash", "bad-argument", "internal-failure"}

func (f Fault) String() string {
	if int(f) < len(faultNames) {
		return faultNames[f]
	}
	return "fault?"
}

// Faulty is a verify_signature whose fault a test may switch at any time,
// for instance to Honest during configuration and FailInternal for the
// requests that follow. It counts its calls. It is safe for concurrent use.
type Faulty struct {
	mode  atomic.Int32
	mu    sync.Mutex
	calls int
}

// NewFaulty returns a Faulty with fault f.
func NewFaulty(f Fault) *Faulty {
	x := &Faulty{}
	x.Set(f)
	return x
}

// Set switches the fault.
func (x *Faulty) Set(f Fault) { x.mode.Store(int32(f)) }

// Calls returns how many calls were made.
func (x *Faulty) Calls() int {
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.calls
}

// Call answers one verify_signature call with the current fault.
func (x *Faulty) Call(args []byte) ([]byte, proxy.Status) {
	x.mu.Lock()
	x.calls++
	x.mu.Unlock()
	switch Fault(x.mode.Load()) {
	case AlwaysTrue:
		return Result{OK: true}.Marshal(), proxy.StatusOK
	case AlwaysFalse:
		return nil, proxy.StatusOK
	case FailBadArgument:
		return nil, proxy.StatusBadArgument
	case FailInternal:
		return nil, proxy.StatusInternalFailure
	case IgnoreText:
		return lie(args, ignoreText)
	case IgnoreHash:
		return lie(args, ignoreHash)
	}
	return Call(args)
}

// lie answers like Call, but true wherever the liar's own check passes.
func lie(args []byte, check func(a Args, key crypto.PublicKey) bool) ([]byte, proxy.Status) {
	out, st := Call(args)
	if st != proxy.StatusOK {
		return out, st
	}
	a, _ := ParseArgs(args)
	key, _ := importKey(a)
	if check(a, key) {
		return Result{OK: true}.Marshal(), proxy.StatusOK
	}
	return out, st
}

func ignoreHash(a Args, key crypto.PublicKey) bool {
	for name := range hashes {
		if verify(name, key, a.Signature, a.Text).OK {
			return true
		}
	}
	return false
}

// DigestInfo prefixes of PKCS#1 v1.5 (RFC 8017 §9.2 note 1).
var digestInfo = map[crypto.Hash][]byte{
	crypto.SHA1:   {0x30, 0x21, 0x30, 0x09, 0x06, 0x05, 0x2b, 0x0e, 0x03, 0x02, 0x1a, 0x05, 0x00, 0x04, 0x14},
	crypto.SHA224: {0x30, 0x2d, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x04, 0x05, 0x00, 0x04, 0x1c},
	crypto.SHA256: {0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20},
	crypto.SHA384: {0x30, 0x41, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x02, 0x05, 0x00, 0x04, 0x30},
	crypto.SHA512: {0x30, 0x51, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x03, 0x05, 0x00, 0x04, 0x40},
}

func ignoreText(a Args, key crypto.PublicKey) bool {
	h, ok := hashes[strings.ToLower(a.HashFunction)]
	if !ok {
		return false
	}
	switch k := key.(type) {
	case *rsa.PublicKey:
		size := k.Size()
		if len(a.Signature) != size {
			return false
		}
		s := new(big.Int).SetBytes(a.Signature)
		if s.Cmp(k.N) >= 0 {
			return false
		}
		em := new(big.Int).Exp(s, big.NewInt(int64(k.E)), k.N).FillBytes(make([]byte, size))
		prefix := digestInfo[h]
		tLen := len(prefix) + h.Size()
		if size < tLen+11 {
			return false
		}
		want := append([]byte{0, 1}, bytes.Repeat([]byte{0xff}, size-tLen-3)...)
		want = append(append(want, 0), prefix...)
		return bytes.Equal(em[:len(want)], want)
	case *ecdsa.PublicKey:
		var sig struct{ R, S *big.Int }
		rest, err := asn1.Unmarshal(a.Signature, &sig)
		n := k.Curve.Params().N
		return err == nil && len(rest) == 0 && sig.R.Sign() > 0 && sig.S.Sign() > 0 && sig.R.Cmp(n) < 0 && sig.S.Cmp(n) < 0
	}
	return false
}
