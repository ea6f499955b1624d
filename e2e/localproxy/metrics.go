package localproxy

import (
	"fmt"
	"io"
	"net/http"
	"regexp"
	"slices"
	"strings"
)

// statsTags are the tag extraction rules of envoy/envoy.yaml's stats_tags:
// the first group is cut out of the name, the second is the label's value,
// so the local proxy's metrics have the names and labels Envoy's
// /stats/prometheus gives with the shipped bootstrap.
var statsTags = []struct {
	label string
	re    *regexp.Regexp
}{
	{"reason", regexp.MustCompile(`^wasmcustom\.apiguard\.(?:denied|reported)(\.(.+))$`)},
	{"provider", regexp.MustCompile(`^wasmcustom\.apiguard\.jwks(\.(.+))\.(?:fetch_ok|fetch_failed|keys_skipped)$`)},
	{"limit", regexp.MustCompile(`^wasmcustom\.apiguard\.rate_limited(\.(.+))$`)},
	{"route", regexp.MustCompile(`^wasmcustom\.apiguard\.route(\.(.+))\.redactions$`)},
	{"key_id", regexp.MustCompile(`^wasmcustom\.apiguard\.apikey(\.(.+))\.used$`)},
}

var notPromName = regexp.MustCompile(`[^a-zA-Z0-9_]`)

// promName is an Envoy stat name as Envoy's Prometheus output spells it:
// "envoy_" and every character outside [a-zA-Z0-9_] as "_".
func promName(stat string) (name, labels string) {
	for _, t := range statsTags {
		m := t.re.FindStringSubmatchIndex(stat)
		if m == nil {
			continue
		}
		value := stat[m[4]:m[5]]
		stat = stat[:m[2]] + stat[m[3]:]
		labels = fmt.Sprintf(`{%s="%s"}`, t.label, strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(value))
		break
	}
	return "envoy_" + notPromName.ReplaceAllString(stat, "_"), labels
}

// WritePrometheus writes the plugin's counters and gauges in Prometheus'
// text format (untyped: the emulator keeps no type a scraper needs).
func (p *Proxy) WritePrometheus(w io.Writer) error {
	m := p.envoy.Metrics()
	type sample struct{ name, labels string }
	samples := make(map[sample]int64, len(m))
	for stat, v := range m {
		n, l := promName(stat)
		samples[sample{n, l}] += v
	}
	keys := make([]sample, 0, len(samples))
	for k := range samples {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b sample) int {
		if c := strings.Compare(a.name, b.name); c != 0 {
			return c
		}
		return strings.Compare(a.labels, b.labels)
	})
	for _, k := range keys {
		if _, err := fmt.Fprintf(w, "%s%s %d\n", k.name, k.labels, samples[k]); err != nil {
			return err
		}
	}
	return nil
}

// MetricsHandler serves WritePrometheus on every path (GET /metrics).
func (p *Proxy) MetricsHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("content-type", "text/plain; version=0.0.4; charset=utf-8")
		p.WritePrometheus(w)
	})
}
