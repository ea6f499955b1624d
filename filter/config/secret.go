package config

import (
	"os"
	"strconv"
	"strings"

	"github.com/apiguard/apiguard/filter/jsonx"
)

// This file holds secrets by reference (docs/configuration.md "Secrets
// from the environment"): where a secret may appear, `{"env": "NAME"}`
// stands for the value of the VM's environment variable NAME, read once at
// configure time. A missing or empty variable is an error naming it; an
// error inside its value names the variable and a path within it, never
// its content.

// Getenv reads one variable of the VM's environment: ok false when it is
// not set.
type Getenv func(name string) (value string, ok bool)

// Environ is the Getenv of an environment listed as NAME=value entries,
// as the host hands the VM's over; the first of a name wins, as WASI
// readers do.
func Environ(environ []string) Getenv {
	return func(name string) (string, bool) {
		for _, kv := range environ {
			if k, v, ok := strings.Cut(kv, "="); ok && k == name {
				return v, true
			}
		}
		return "", false
	}
}

// ParseEnv is Parse with the VM's environment given by getenv (the plugin
// passes the host's, a test a map). Parse reads the process environment,
// which in the Wasm module is the VM's (WASI environ).
func ParseEnv(data []byte, getenv Getenv) (*Config, error) {
	return parseWith(data, getenv, nil)
}

// Parse reads and checks a configuration document. On failure the error is
// an *ErrorList holding every error found (up to MaxErrors), each an
// *Error with its JSON path, line and column. Empty input, or whitespace
// only, is an error: the plugin refuses to start without a configuration.
// Environment references are read with os.LookupEnv.
func Parse(data []byte) (*Config, error) { return parseWith(data, os.LookupEnv, nil) }

// ParseWithPlaceholders is ParseEnv for a check made away from the VM
// (`apiguard validate`): a variable getenv lacks (or holds empty) is not
// an error but gets a placeholder valid where it is referenced (an empty
// key list, a dummy HMAC key, a dummy hash secret). It returns the
// placeholders by variable, so that a check which starts the plugin can
// hand them to it, and the caller warns about each.
func ParseWithPlaceholders(data []byte, getenv Getenv) (*Config, map[string]string, error) {
	filled := map[string]string{}
	cfg, err := parseWith(data, getenv, filled)
	return cfg, filled, err
}

// Placeholders of variables ParseWithPlaceholders fills in.
const (
	placeholderSecret = "apiguard-validate-placeholder"
	placeholderKeys   = "[]"
	placeholderHMAC   = "YXBpZ3VhcmQtdmFsaWRhdGUtcGxhY2Vob2xkZXItaG1hYw" // base64url of 34 bytes
)

// EnvRefs returns, in document order and without duplicates, the
// variables the document's `{"env": NAME}` references name (where secrets
// may appear), whether or not they are set: `apiguard validate` warns
// about unset ones, and the local proxy reports what it passes. It returns
// nil for a document that does not parse.
func EnvRefs(data []byte) []string {
	var names []string
	seen := map[string]bool{}
	_, _ = parseWith(data, func(name string) (string, bool) {
		if !seen[name] {
			seen[name] = true
			names = append(names, name)
		}
		return "", false
	}, nil)
	return names
}

// envName is the grammar of a variable name: a letter or "_", then
// letters, digits and "_" (POSIX shells', Envoy's and Kubernetes' names).
func envName(s string) bool {
	if s == "" || len(s) > 256 || s[0] >= '0' && s[0] <= '9' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

// envRef reads `{"env": "NAME"}` at p: the variable's name and value. ok
// is false when v is not an object (the caller reads it as written).
func (ps *parser) envRef(v *jsonx.Value, p *path) (name, value string, ok bool, err *Error) {
	if v.Kind != jsonx.KindObject || v.Get("env") == nil {
		return "", "", false, nil
	}
	err = eachMember(v, p, func(m *jsonx.Member, mp *path) (bool, *Error) {
		if m.Key != "env" {
			return false, nil
		}
		var e *Error
		if name, e = getString(&m.Value, mp); e == nil && !envName(name) {
			e = mp.errorf("%s is not an environment variable name (letters, digits and \"_\", not starting with a digit)", quote(name))
		}
		return true, e
	}, "env")
	if err != nil {
		return "", "", true, err
	}
	value, set := ps.getenv(name)
	if (!set || value == "") && ps.placeholders != nil {
		return name, "", true, nil // the caller fills in its placeholder
	}
	if !set || value == "" {
		return name, "", true, p.errorf("environment variable %s is not set or empty (Envoy: vm_config.environment_variables; Istio: vmConfig.env)", name)
	}
	return name, value, true, nil
}

// secretString reads a string that holds a secret: as written, or from
// the environment. fromEnv names the variable when it came from there.
func (ps *parser) secretString(v *jsonx.Value, p *path) (value, fromEnv string, err *Error) {
	name, value, ok, err := ps.envRef(v, p)
	if ok && err == nil && value == "" {
		value = ps.fill(name, placeholderSecret)
	}
	if ok {
		return value, name, err
	}
	if v.Kind != jsonx.KindString {
		return "", "", typeError(v, p, `a string or {"env": "NAME"}`)
	}
	return v.Str, "", nil
}

// inEnv rewrites errors found inside the value of variable name, read at
// p: each is reported at p, names the variable and the path within it,
// and has no line and column (the document does not hold the value).
func inEnv(err *Error, p *path, name string) *Error {
	if err == nil {
		return nil
	}
	prefix := p.String()
	var c collector
	for _, e := range err.flatten() {
		inner := strings.TrimPrefix(e.Path, prefix)
		inner = strings.TrimPrefix(inner, ".")
		msg := "in environment variable " + name + ": "
		if inner != "" {
			msg += inner + ": "
		}
		c.add(&Error{Path: prefix, Msg: msg + e.Msg, at: p})
	}
	return c.result()
}

// envJSON parses the value of variable name as JSON for the reader at p.
func envJSON(value string, p *path, name string) (jsonx.Value, *Error) {
	v, err := jsonx.Parse([]byte(value), docLimits)
	if err != nil {
		msg := "invalid JSON"
		if je, ok := err.(*jsonx.Error); ok {
			msg = strings.TrimPrefix(je.Error(), "json: ")
			if i := strings.LastIndex(msg, " at offset "); i >= 0 {
				msg = "invalid JSON: " + msg[:i] + " at byte " + strconv.Itoa(je.Offset+1)
			}
		}
		return v, &Error{Path: p.String(), Msg: "in environment variable " + name + ": " + msg, at: p}
	}
	return v, nil
}

// parseAPIKeyList reads `api_keys.keys`: the array as written, or
// `{"env": "NAME"}` whose variable holds that array as JSON.
func (ps *parser) parseAPIKeyList(v *jsonx.Value, p *path) ([]APIKey, *Error) {
	name, value, ok, err := ps.envRef(v, p)
	if !ok {
		if v.Kind != jsonx.KindArray {
			return nil, typeError(v, p, `an array or {"env": "NAME"}`)
		}
		return getList(v, p, ps.parseAPIKey)
	}
	if err != nil {
		return nil, err
	}
	if value == "" {
		value = ps.fill(name, placeholderKeys)
	}
	doc, err := envJSON(value, p, name)
	if err != nil {
		return nil, err
	}
	if doc.Kind != jsonx.KindArray {
		return nil, p.errorf("in environment variable %s: must be a JSON array of keys, not %s", name, kindPhrase(doc.Kind))
	}
	keys, err := getList(&doc, p, ps.parseAPIKey)
	return keys, inEnv(err, p, name)
}

// jwksEnvSecrets resolves `"k": {"env": "NAME"}` in the keys of an inline
// JWKS (an HMAC key's secret) and returns the JWKS text with each such
// reference replaced by the variable's value as a JSON string; raw is the
// JWKS as written, starting at byte base of the document.
func (ps *parser) jwksEnvSecrets(keys *jsonx.Value, kp *path, raw []byte, base int) ([]byte, *Error) {
	type splice struct {
		key, from, to int
		value         string
	}
	var splices []splice
	var c collector
	for i := range keys.Items {
		key := &keys.Items[i]
		if key.Kind != jsonx.KindObject {
			continue
		}
		k := key.Get("k")
		if k == nil || k.Kind != jsonx.KindObject {
			continue
		}
		kpath := kp.at(i).field("k")
		name, value, _, err := ps.envRef(k, kpath)
		if err != nil {
			c.add(err)
			continue
		}
		if value == "" {
			value = ps.fill(name, placeholderHMAC)
		}
		obj := rawObject(ps.data, k.Offset)
		splices = append(splices, splice{i, k.Offset - base, k.Offset - base + len(obj), value})
	}
	if err := c.result(); err != nil {
		return nil, err
	}
	for i := len(splices) - 1; i >= 0; i-- {
		s := splices[i]
		quoted := strconv.AppendQuote(nil, s.value)
		if !isJSONSafe(s.value) {
			return nil, kp.at(s.key).field("k").errorf("the environment variable must hold the key in base64url")
		}
		raw = append(raw[:s.from:s.from], append(quoted, raw[s.to:]...)...)
	}
	return raw, nil
}

// isJSONSafe reports whether strconv.Quote of s is also JSON: printable
// ASCII without backslash or quote (base64url always is).
func isJSONSafe(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e || s[i] == '\\' || s[i] == '"' {
			return false
		}
	}
	return true
}

// fill records that variable name stands in as value (a placeholder) and
// returns value; the first placeholder of a name is kept.
func (ps *parser) fill(name, value string) string {
	if prev, ok := ps.placeholders[name]; ok {
		return prev
	}
	ps.placeholders[name] = value
	return value
}
