package plugin

import (
	"strings"
	"testing"
	"time"

	"github.com/apiguard/apiguard/filter/config"
	"github.com/apiguard/apiguard/filter/jwt"
)

func TestRemoteKeys_stale(t *testing.T) {
	const fetched = int64(1_800_000_000) * int64(time.Second)
	rk := &remoteKeys{cfg: &config.RemoteJWKS{MaxStale: 1200 * time.Second}}
	if rk.stale(fetched + int64(time.Hour)) {
		t.Fatal("a VM without a set is stale")
	}
	rk.fetchedAt = fetched
	for _, c := range []struct {
		age   time.Duration
		stale bool
	}{
		{0, false},
		{1200 * time.Second, false},
		{1200*time.Second + 1, true},
		{30 * 24 * time.Hour, true},
		{-time.Hour, false}, // the wall clock stepped back
	} {
		if got := rk.stale(fetched + int64(c.age)); got != c.stale {
			t.Errorf("age %v: stale = %v, want %v", c.age, got, c.stale)
		}
	}
}

func TestLoadedLine(t *testing.T) {
	many := make([]jwt.SkippedKey, 10)
	for i := range many {
		many[i] = jwt.SkippedKey{Path: "keys[" + string(rune('0'+i)) + "].use", Reason: "use is not sig"}
	}
	for _, c := range []struct {
		name    string
		n       int
		skipped []jwt.SkippedKey
		want    string
	}{
		{"all used", 2, nil, "apiguard: jwks idp: loaded 2 keys"},
		{"one skipped", 1, []jwt.SkippedKey{{Path: "keys[1].n", Kid: "old", Reason: "RSA modulus under 2048 bits"}},
			`apiguard: jwks idp: loaded 1 keys (1 skipped: keys[1].n kid "old": RSA modulus under 2048 bits)`},
		{"no kid", 1, []jwt.SkippedKey{{Path: "keys[0]", Reason: "EC point is not on the curve P-256"}},
			`apiguard: jwks idp: loaded 1 keys (1 skipped: keys[0]: EC point is not on the curve P-256)`},
		{"kid quoted and cut", 1, []jwt.SkippedKey{{Path: "keys[0].use", Kid: "a\nb\x00" + strings.Repeat("k", 200), Reason: "use is not sig"}},
			`apiguard: jwks idp: loaded 1 keys (1 skipped: keys[0].use kid "a\nb\x00` + strings.Repeat("k", 124) + `": use is not sig)`},
		{"none usable", 0, many[:1], `apiguard: jwks idp: loaded 0 keys (1 skipped: keys[0].use: use is not sig); no usable key: every token of this provider is refused (401)`},
		{"empty", 0, nil, `apiguard: jwks idp: loaded 0 keys; no usable key: every token of this provider is refused (401)`},
	} {
		if got := loadedLine("idp", c.n, c.skipped); got != c.want {
			t.Errorf("%s:\n got %s\nwant %s", c.name, got, c.want)
		}
	}
	got := loadedLine("idp", 1, many)
	if !strings.HasSuffix(got, "keys[7].use: use is not sig; and 2 more)") || strings.Contains(got, "keys[8]") {
		t.Errorf("ten skipped keys: %s", got)
	}
	if strings.ContainsAny(loadedLine("idp", 1, []jwt.SkippedKey{{Path: "keys[0]", Kid: "x\r\ny", Reason: "r"}}), "\r\n") {
		t.Error("a kid broke the log line")
	}
}
