//go:build unix

package failure

import "syscall"

// errnoFailure is the failure string of an OS error number, "" if it has none.
func errnoFailure(e syscall.Errno) string {
	switch e {
	case syscall.ECONNREFUSED:
		return ConnectionRefused
	case syscall.ECONNRESET, syscall.EPIPE, syscall.ECONNABORTED, syscall.ENETRESET:
		return ConnectionReset
	case syscall.EHOSTUNREACH, syscall.EHOSTDOWN:
		return HostUnreachable
	case syscall.ENETUNREACH, syscall.ENETDOWN:
		return NetworkUnreachable
	case syscall.EACCES, syscall.EPERM: // EPERM: a local firewall dropping in OUTPUT
		return PermissionDenied
	case syscall.ETIMEDOUT:
		return GenericTimeout
	case syscall.EMFILE, syscall.ENFILE, syscall.ENOMEM, syscall.ENOBUFS:
		return LocalResourceExhausted
	}
	return ""
}
