// Package version holds spotwatch's version, the one value every part of the program reports
// (`spotwatch --version`, `check --json`, the probes' User-Agent, the status API).
package version

// Version is spotwatch's version, stamped at build time with
// -ldflags "-X github.com/spotwatch/spotwatch/internal/version.Version=…".
var Version = "0.1.0-dev"
