// Package filewatch tells when a file may have changed, as an event where the OS has one
// (Linux: inotify on the file's directory), so that a daemon watching its configuration does
// not wake up every few seconds to look. Callers still compare the file themselves: an event
// means "look now", never "it changed".
package filewatch

import "errors"

// ErrUnsupported is returned where this OS has no event to watch a file with here; the caller
// polls instead.
var ErrUnsupported = errors.ErrUnsupported
