// Package filewatch tells when a file may have changed, or was opened, as an event where the
// OS has one (Linux: inotify on the file's directory), so that a daemon watching its
// configuration, or waiting for a program to be run, does not wake up every few seconds to
// look. Callers still look themselves: an event means "look now", never "it changed" or "it
// runs".
package filewatch

import "errors"

// ErrUnsupported is returned where this OS has no event to watch a file with here; the caller
// polls instead.
var ErrUnsupported = errors.ErrUnsupported
