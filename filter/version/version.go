// Package version is apiguard's release version and the source revision it
// was built from, as the plugin logs them when it is configured and the
// apiguard command prints them. `make build` and `make release` set
// Revision (and may set Version) with
//
//	-ldflags "-X github.com/apiguard/apiguard/filter/version.Revision=abc1234"
package version

// Version is the release this source tree is (semantic versioning, no
// leading v). The Makefile reads it from here.
var Version = "0.3.0"

// Revision is the short git commit the module was built from, "unknown"
// when the build did not say (a plain `go build`, or outside git).
var Revision = "unknown"

// String is "0.3.0 (abc1234)".
func String() string { return Version + " (" + Revision + ")" }
