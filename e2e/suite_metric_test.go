package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/apiguard/apiguard/e2e/host"
	"github.com/apiguard/apiguard/filter/problem"
)

var (
	metricNamesOnce sync.Once
	metricPatterns  []*regexp.Regexp // docs/operating.md's metric table, placeholders as .+
	metricReasons   map[string]bool  // every problem.Reason value
	metricNamesErr  error
)

var (
	readmeMetricRow = regexp.MustCompile("(?m)^\\| `wasmcustom\\.(apiguard\\.[^`]+)`")
	reasonConst     = regexp.MustCompile(`(?m)^\s*Reason\w*\s+Reason\s*=\s*"([a-z0-9_]+)"`)
	metricHole      = regexp.MustCompile(`<[a-z_]+>`)
)

// loadMetricNames reads the metric names docs/operating.md documents and the
// reasons filter/problem declares (both in this repository: go test runs
// in e2e/, whatever module APIGUARD_WASM names).
func loadMetricNames() {
	root := ".."
	readme, err := os.ReadFile(filepath.Join(root, "docs", "operating.md"))
	if err != nil {
		metricNamesErr = err
		return
	}
	for _, m := range readmeMetricRow.FindAllStringSubmatch(string(readme), -1) {
		parts := metricHole.Split(m[1], -1)
		for i := range parts {
			parts[i] = regexp.QuoteMeta(parts[i])
		}
		metricPatterns = append(metricPatterns, regexp.MustCompile("^"+strings.Join(parts, ".+")+"$"))
	}
	files, err := filepath.Glob(filepath.Join(root, "filter", "problem", "*.go"))
	if err != nil || len(files) == 0 {
		metricNamesErr = fmt.Errorf("no Go files under filter/problem (%v)", err)
		return
	}
	metricReasons = map[string]bool{}
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			metricNamesErr = err
			return
		}
		for _, m := range reasonConst.FindAllStringSubmatch(string(src), -1) {
			metricReasons[m[1]] = true
		}
	}
	for _, r := range []problem.Reason{problem.ReasonInternal, problem.ReasonRouteNotFound, problem.ReasonTokenWrongIssuer} {
		if !metricReasons[string(r)] {
			metricNamesErr = fmt.Errorf("reason %s not found in filter/problem's sources", r)
		}
	}
	if len(metricPatterns) < 15 || len(metricReasons) < 30 {
		metricNamesErr = fmt.Errorf("found %d documented metrics and %d reasons", len(metricPatterns), len(metricReasons))
	}
}

// knownMetric says why name (without wasmcustom.) is not a metric the
// plugin can define, or nil.
func knownMetric(name string) error {
	metricNamesOnce.Do(loadMetricNames)
	if metricNamesErr != nil {
		return metricNamesErr
	}
	for _, p := range []string{"apiguard.denied.", "apiguard.reported."} {
		if r, ok := strings.CutPrefix(name, p); ok {
			if !metricReasons[r] {
				return fmt.Errorf("%q is not a reason declared in filter/problem", r)
			}
			return nil
		}
	}
	for _, p := range metricPatterns {
		if p.MatchString(name) {
			return nil
		}
	}
	return fmt.Errorf("not a metric docs/operating.md documents")
}

// fatalRecorder is a testing.TB whose Fatalf is recorded (and stops the
// helper, as the real one does) instead of failing the test.
type fatalRecorder struct {
	testing.TB
	msg string
}

type fatalStop struct{}

func (r *fatalRecorder) Helper() {}
func (r *fatalRecorder) Fatalf(format string, args ...any) {
	r.msg = fmt.Sprintf(format, args...)
	panic(fatalStop{})
}

// fatal runs f with a recorder and returns what it Fatalf'd ("" if nothing).
func fatal(t *testing.T, f func(tb testing.TB)) (msg string) {
	r := &fatalRecorder{TB: t}
	defer func() {
		if v := recover(); v != nil {
			if _, ok := v.(fatalStop); !ok {
				panic(v)
			}
			msg = r.msg
		}
	}()
	f(r)
	return ""
}

// TestSuite_metricHelpers: metric fails on a counter that was never defined, so
// a misspelled name cannot pass a `== 0` check; metricOrZero reads an
// undefined counter as 0 but only for names the plugin can define.
func TestSuite_metricHelpers(t *testing.T) {
	e := start(t, guest{name: "native", factory: nativeFactory}, `{"routes": [{"name": "r", "match": {"prefix": "/r"}}]}`)
	runTable(t, e, []exchange{
		{name: "allowed", req: host.Request{Path: "/r"}, want: 200},
		{name: "not found", req: host.Request{Path: "/x"}, want: 404, reason: problem.ReasonRouteNotFound},
	})
	for _, c := range []struct {
		name   string
		f      func(tb testing.TB) int64
		want   int64
		failed bool
	}{
		{"defined", func(tb testing.TB) int64 { return metric(tb, e, "apiguard.allowed") }, 1, false},
		{"defined reason", func(tb testing.TB) int64 { return metric(tb, e, "apiguard.denied.route_not_found") }, 1, false},
		{"misspelled", func(tb testing.TB) int64 { return metric(tb, e, "apiguard.alowed") }, 0, true},
		{"never counted", func(tb testing.TB) int64 { return metric(tb, e, "apiguard.denied.unsafe_path") }, 0, true},
		{"zero: defined", func(tb testing.TB) int64 { return metricOrZero(tb, e, "apiguard.requests") }, 2, false},
		{"zero: never counted", func(tb testing.TB) int64 { return metricOrZero(tb, e, "apiguard.denied.unsafe_path") }, 0, false},
		{"zero: documented pattern", func(tb testing.TB) int64 { return metricOrZero(tb, e, "apiguard.route.r.redactions") }, 0, false},
		{"zero: misspelled reason", func(tb testing.TB) int64 { return metricOrZero(tb, e, "apiguard.denied.unsafe_paths") }, 0, true},
		{"zero: misspelled name", func(tb testing.TB) int64 { return metricOrZero(tb, e, "apiguard.upstream_5xx_sanitised") }, 0, true},
		{"zero: wrong shape", func(tb testing.TB) int64 { return metricOrZero(tb, e, "apiguard.route.r.redaction") }, 0, true},
	} {
		var got int64
		msg := fatal(t, func(tb testing.TB) { got = c.f(tb) })
		if (msg != "") != c.failed {
			t.Errorf("%s: failed = %v (%s), want %v", c.name, msg != "", msg, c.failed)
		}
		if msg == "" && got != c.want {
			t.Errorf("%s: %d, want %d", c.name, got, c.want)
		}
	}
}
