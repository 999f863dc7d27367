package failure

import "syscall"

// errnoFailure is the failure string of an OS error number, "" if it has none.
func errnoFailure(e syscall.Errno) string {
	return windowsErrnoFailure(e)
}
