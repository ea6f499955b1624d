package config

import "github.com/apiguard/apiguard/filter/jsonx"

// AuditLog is `audit_log` (docs/configuration.md "audit_log"): `true`,
// `false` (the default) or an object, which turns it on.
type AuditLog struct {
	// Enabled says the audit line is written (`true` or an object).
	Enabled bool
	// RawPath is `raw_path` (default false): the line carries the
	// request's path as received instead of the route's path template.
	RawPath bool
	// HashSecret is `hash_secret`, empty when absent: the HMAC key of the
	// subject, 16 to 1024 printable ASCII characters (MinHashSecret), as
	// written or from the environment. Without it every VM draws a random
	// key. It is secret material: no error, log line or metric shows it.
	HashSecret Secret
}

// parseAuditLog reads `audit_log`: a boolean or an object.
func (ps *parser) parseAuditLog(v *jsonx.Value, p *path) (AuditLog, *Error) {
	switch v.Kind {
	case jsonx.KindBool:
		return AuditLog{Enabled: v.Bool}, nil
	case jsonx.KindObject:
	default:
		return AuditLog{}, typeError(v, p, "a boolean or an object")
	}
	a := AuditLog{Enabled: true}
	err := eachMember(v, p, func(m *jsonx.Member, mp *path) (known bool, err *Error) {
		switch m.Key {
		case "raw_path":
			a.RawPath, err = getBool(&m.Value, mp)
		case "hash_secret":
			a.HashSecret, err = ps.getHashSecret(&m.Value, mp)
		default:
			return false, nil
		}
		return true, err
	})
	if err != nil {
		return AuditLog{}, err
	}
	return a, nil
}
