package config

import (
	"fmt"
	"strings"
	"testing"
)

// TestAuditLog_forms: audit_log is a boolean or an object; an object turns
// it on, raw_path defaults to false, and hash_secret is read as written or
// from the environment (and never printed).
func TestAuditLog_forms(t *testing.T) {
	env := envMap(map[string]string{"AUDIT": "an-audit-secret-0123"})
	tests := []struct {
		doc  string
		want AuditLog
	}{
		{`true`, AuditLog{Enabled: true}},
		{`false`, AuditLog{}},
		{`{}`, AuditLog{Enabled: true}},
		{`{"raw_path": false}`, AuditLog{Enabled: true}},
		{`{"raw_path": true}`, AuditLog{Enabled: true, RawPath: true}},
		{`{"hash_secret": "0123456789abcdef"}`, AuditLog{Enabled: true, HashSecret: "0123456789abcdef"}},
		{`{"raw_path": true, "hash_secret": {"env": "AUDIT"}}`, AuditLog{Enabled: true, RawPath: true, HashSecret: "an-audit-secret-0123"}},
	}
	for _, tc := range tests {
		cfg, err := ParseEnv([]byte(`{"default": {}, "audit_log": `+tc.doc+`}`), env)
		if err != nil {
			t.Errorf("%s: %v", tc.doc, err)
			continue
		}
		if cfg.AuditLog != tc.want {
			t.Errorf("%s: audit_log = %+v, want %+v", tc.doc, cfg.AuditLog, tc.want)
		}
		if s := string(cfg.AuditLog.HashSecret); s != "" && strings.Contains(fmt.Sprintf("%v %+v %#v", cfg.AuditLog, cfg.AuditLog, cfg.AuditLog), s) {
			t.Errorf("%s: fmt shows the secret", tc.doc)
		}
	}
}

// TestAuditLog_envErrors: a missing or malformed variable behind
// audit_log.hash_secret is an error naming the path and the variable,
// never the value.
func TestAuditLog_envErrors(t *testing.T) {
	const short = "Sup3rS3cret"
	tests := []struct {
		env  map[string]string
		want string
	}{
		{nil, `audit_log.hash_secret: environment variable AUDIT is not set or empty (Envoy: vm_config.environment_variables; Istio: vmConfig.env)`},
		{map[string]string{"AUDIT": short}, `audit_log.hash_secret: environment variable AUDIT must hold 16 to 1024 printable ASCII characters`},
	}
	for _, tc := range tests {
		_, err := ParseEnv([]byte(`{"default": {}, "audit_log": {"hash_secret": {"env": "AUDIT"}}}`), envMap(tc.env))
		if err == nil || err.Error() != tc.want {
			t.Errorf("env %v: error %v, want %s", tc.env, err, tc.want)
		}
		if err != nil && strings.Contains(err.Error(), short) {
			t.Errorf("the error shows the value: %v", err)
		}
	}
	if refs := EnvRefs([]byte(`{"default": {}, "audit_log": {"hash_secret": {"env": "AUDIT"}}}`)); strings.Join(refs, ",") != "AUDIT" {
		t.Errorf("EnvRefs = %v", refs)
	}
}
