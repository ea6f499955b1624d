package edge

import (
	"strconv"
	"time"

	"github.com/apiguard/apiguard/filter/config"
)

// Deprecation is a route's compiled `deprecation`: the three header values,
// formatted once, and the sunset instant.
type Deprecation struct {
	deprecation string    // Deprecation: @<unix seconds>
	sunsetValue string    // Sunset: <IMF-fixdate>, "" without sunset
	link        string    // Link: <url>; rel="deprecation", "" without link
	sunset      time.Time // zero without sunset
	refuse      bool      // refuse_after_sunset
}

// NewDeprecation compiles a parsed `deprecation` block (already validated:
// since is set, sunset is after it, refuse_after_sunset has a sunset, the
// link is an absolute http(s) URL of URI characters).
func NewDeprecation(d *config.Deprecation) *Deprecation {
	k := &Deprecation{
		deprecation: DeprecationValue(d.Since),
		sunset:      d.Sunset,
		refuse:      d.RefuseAfterSunset && !d.Sunset.IsZero(),
	}
	if !d.Sunset.IsZero() {
		k.sunsetValue = HTTPDate(d.Sunset)
	}
	if d.Link != "" {
		k.link = LinkValue(d.Link)
	}
	return k
}

// DeprecationHeader is the Deprecation header value, always present.
func (d *Deprecation) DeprecationHeader() string { return d.deprecation }

// SunsetHeader is the Sunset header value; empty when no sunset is set.
func (d *Deprecation) SunsetHeader() string { return d.sunsetValue }

// LinkHeader is the Link header value; empty when no link is set.
func (d *Deprecation) LinkHeader() string { return d.link }

// Gone reports whether the route must answer 410 at now (Unix
// nanoseconds, the host clock): refuse_after_sunset is set and the sunset
// instant has been reached. The sunset instant itself is past: RFC 8594
// names it as the time the resource becomes unavailable.
func (d *Deprecation) Gone(now int64) bool {
	return d.refuse && !time.Unix(0, now).Before(d.sunset)
}

// DeprecationValue formats t as the RFC 9745 Deprecation field value, a
// Structured Fields Date: "@" and the Unix time in whole seconds (sub-second
// parts are dropped, rounding towards the past).
func DeprecationValue(t time.Time) string {
	sec := t.Unix()
	return "@" + strconv.FormatInt(sec, 10)
}

// imfFixdate is RFC 9110's preferred HTTP-date format; Go's layout
// language writes it once "GMT" is literal and the time is in UTC.
const imfFixdate = "Mon, 02 Jan 2006 15:04:05 GMT"

// HTTPDate formats t as an RFC 9110 IMF-fixdate (the form RFC 8594's
// Sunset takes), in GMT, whole seconds.
func HTTPDate(t time.Time) string {
	return t.UTC().Format(imfFixdate)
}

// LinkValue formats the Link field value pointing at url with the
// "deprecation" relation (RFC 9745 section 3). url is written as is: the
// configuration only admits URI characters, so it cannot break out of the
// angle brackets.
func LinkValue(url string) string {
	return "<" + url + `>; rel="deprecation"`
}
