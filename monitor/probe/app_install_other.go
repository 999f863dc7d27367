//go:build !linux && !darwin && !windows

package probe

import "errors"

// diskFree is not read on this OS.
func diskFree(string) (uint64, error) { return 0, errors.ErrUnsupported }

// ownsHome: the user's folders are not tested on this OS.
func ownsHome(string) bool { return false }

// writable: not tested on this OS.
func writable(string) bool { return true }
