// Package verifysig is Envoy's verify_signature foreign function (Envoy
// 1.30 and later; docs/internals/proxy-wasm.md §4 (k)) implemented natively in Go
// for the emulator, plus the faults a test needs to make a host lie or fail
// (Faulty). It is test-host code: it may use crypto/x509 and protobuf
// freely, unlike the plugin.
//
// What it reproduces of Envoy (source/extensions/common/wasm/foreign.cc and
// Common::Crypto::UtilityImpl over BoringSSL):
//
//   - arguments: a serialized VerifySignatureArguments {1 hash_function
//     string, 2 public_key bytes, 3 signature bytes, 4 text bytes,
//     5 public_key_pem string}, parsed as protobuf C++ does (unknown fields
//     and known fields of another wire type skipped, last value wins,
//     invalid UTF-8 in a string field fails the parse); a parse failure is
//     BadArgument with no result;
//   - the key: exactly one of public_key (DER SubjectPublicKeyInfo,
//     EVP_parse_public_key: bytes after the SPKI are ignored) and
//     public_key_pem (a PEM "PUBLIC KEY" block, Envoy 1.37 and later);
//     both, neither, or a key that does not import (BoringSSL's RSA limits:
//     at most 16384 bits, an odd exponent above 1 of at most 33 bits) is
//     BadArgument with no result;
//   - the hash: sha1, sha224, sha256, sha384 or sha512 in any case; another
//     name is Ok with {result: false, error: "<name> is not supported."};
//   - verification: EVP_DigestVerify, so RSA is PKCS#1 v1.5 only (a PSS
//     signature never verifies), ECDSA takes a DER signature (JWS r||s
//     never verifies), and an Ed25519 key fails EVP_DigestVerifyInit
//     because a digest is always set ("Failed to initialize digest
//     verify."); the answer is Ok with a serialized VerifySignatureResult
//     {1 result bool, 2 error string}: true serializes to 08 01.
package verifysig

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"encoding/asn1"
	"encoding/pem"
	"math/big"
	"strings"
	"unicode/utf8"

	// Registers the hashes crypto.Hash.New needs.
	_ "crypto/sha1"
	_ "crypto/sha256"
	_ "crypto/sha512"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/apiguard/apiguard/filter/proxy"
)

// Name is the foreign function's name.
const Name = "verify_signature"

// Args is VerifySignatureArguments.
type Args struct {
	HashFunction string
	PublicKey    []byte
	Signature    []byte
	Text         []byte
	PublicKeyPEM string
}

// Marshal serializes a with protobuf's proto3 rules (empty fields left out).
func (a Args) Marshal() []byte {
	var b []byte
	add := func(num protowire.Number, v []byte) {
		if len(v) == 0 {
			return
		}
		b = protowire.AppendTag(b, num, protowire.BytesType)
		b = protowire.AppendBytes(b, v)
	}
	add(1, []byte(a.HashFunction))
	add(2, a.PublicKey)
	add(3, a.Signature)
	add(4, a.Text)
	add(5, []byte(a.PublicKeyPEM))
	return b
}

// ParseArgs decodes VerifySignatureArguments as protobuf C++'s
// ParseFromArray does; ok is false where it would fail.
func ParseArgs(b []byte) (a Args, ok bool) {
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return Args{}, false
		}
		b = b[n:]
		if typ == protowire.BytesType && num >= 1 && num <= 5 {
			v, m := protowire.ConsumeBytes(b)
			if m < 0 {
				return Args{}, false
			}
			b = b[m:]
			switch num {
			case 1, 5:
				if !utf8.Valid(v) {
					return Args{}, false
				}
				if num == 1 {
					a.HashFunction = string(v)
				} else {
					a.PublicKeyPEM = string(v)
				}
			case 2:
				a.PublicKey = append([]byte(nil), v...)
			case 3:
				a.Signature = append([]byte(nil), v...)
			case 4:
				a.Text = append([]byte(nil), v...)
			}
			continue
		}
		m := protowire.ConsumeFieldValue(num, typ, b)
		if m < 0 {
			return Args{}, false
		}
		b = b[m:]
	}
	return a, true
}

// Result is VerifySignatureResult.
type Result struct {
	OK    bool
	Error string
}

// Marshal serializes r (proto3: false and "" are left out, so a false
// result without an error is empty).
func (r Result) Marshal() []byte {
	var b []byte
	if r.OK {
		b = protowire.AppendTag(b, 1, protowire.VarintType)
		b = protowire.AppendVarint(b, 1)
	}
	if r.Error != "" {
		b = protowire.AppendTag(b, 2, protowire.BytesType)
		b = protowire.AppendString(b, r.Error)
	}
	return b
}

// ParseResult decodes a VerifySignatureResult; ok is false when it does
// not parse.
func ParseResult(b []byte) (r Result, ok bool) {
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return Result{}, false
		}
		b = b[n:]
		switch {
		case num == 1 && typ == protowire.VarintType:
			v, m := protowire.ConsumeVarint(b)
			if m < 0 {
				return Result{}, false
			}
			r.OK, b = v != 0, b[m:]
		case num == 2 && typ == protowire.BytesType:
			v, m := protowire.ConsumeBytes(b)
			if m < 0 {
				return Result{}, false
			}
			r.Error, b = string(v), b[m:]
		default:
			m := protowire.ConsumeFieldValue(num, typ, b)
			if m < 0 {
				return Result{}, false
			}
			b = b[m:]
		}
	}
	return r, true
}

// Call is verify_signature as Envoy answers it.
func Call(args []byte) ([]byte, proxy.Status) {
	a, ok := ParseArgs(args)
	if !ok {
		return nil, proxy.StatusBadArgument
	}
	key, ok := importKey(a)
	if !ok {
		return nil, proxy.StatusBadArgument
	}
	return verify(a.HashFunction, key, a.Signature, a.Text).Marshal(), proxy.StatusOK
}

// importKey is Envoy's importPublicKey (DER) or importPublicKeyPEM.
func importKey(a Args) (crypto.PublicKey, bool) {
	der := a.PublicKey
	switch {
	case len(a.PublicKey) > 0 && a.PublicKeyPEM != "", len(a.PublicKey) == 0 && a.PublicKeyPEM == "":
		return nil, false
	case a.PublicKeyPEM != "":
		block, _ := pem.Decode([]byte(a.PublicKeyPEM))
		if block == nil || block.Type != "PUBLIC KEY" {
			return nil, false
		}
		der = block.Bytes
	}
	// EVP_parse_public_key reads one element and leaves the rest.
	var outer asn1.RawValue
	if _, err := asn1.Unmarshal(der, &outer); err != nil {
		return nil, false
	}
	pub, err := x509.ParsePKIXPublicKey(outer.FullBytes)
	if err != nil {
		return nil, false
	}
	if k, ok := pub.(*rsa.PublicKey); ok {
		// BoringSSL's rsa_check_public_key.
		e := big.NewInt(int64(k.E))
		if k.N.BitLen() > 16384 || e.BitLen() > 33 || k.E&1 == 0 || k.E <= 1 {
			return nil, false
		}
	}
	return pub, true
}

var hashes = map[string]crypto.Hash{
	"sha1": crypto.SHA1, "sha224": crypto.SHA224, "sha256": crypto.SHA256,
	"sha384": crypto.SHA384, "sha512": crypto.SHA512,
}

// verify is Envoy's UtilityImpl::verifySignature.
func verify(hashName string, key crypto.PublicKey, sig, text []byte) Result {
	h, ok := hashes[strings.ToLower(hashName)]
	if !ok {
		return Result{Error: hashName + " is not supported."}
	}
	d := h.New()
	d.Write(text)
	digest := d.Sum(nil)
	var good bool
	switch k := key.(type) {
	case *rsa.PublicKey:
		good = rsa.VerifyPKCS1v15(k, h, digest, sig) == nil
	case *ecdsa.PublicKey:
		good = ecdsa.VerifyASN1(k, digest, sig)
	case ed25519.PublicKey:
		return Result{Error: "Failed to initialize digest verify."}
	default:
		return Result{Error: "Failed to initialize digest verify."}
	}
	if good {
		return Result{OK: true}
	}
	return Result{Error: "Failed to verify digest. Error code: 0"}
}
