//go:build !unix && !windows

package failure

import "syscall"

// errnoFailure has no table on this OS (js, wasip1): the error types and texts decide.
func errnoFailure(syscall.Errno) string {
	return ""
}
