package statusapi

import (
	"errors"
	"os"
	"syscall"
)

// Windows socket error numbers (winsock2.h).
const (
	wsaeAddrInUse   syscall.Errno = 10048
	wsaeConnRefused syscall.Errno = 10061
)

// maxWindowsSocket is sun_path of afunix.h less its NUL.
const maxWindowsSocket = 107

func maxSocketPath() int { return maxWindowsSocket }

// checkDir accepts any directory: access on Windows is the directory's ACL, inherited from
// %LOCALAPPDATA% (the user only) or %ProgramData%.
func checkDir(string, os.FileInfo) error { return nil }

// lockDir does nothing on Windows: the window it closes on Unix (two daemons starting in the
// same millisecond) is left open here.
func lockDir(string) (func(), error) { return func() {}, nil }

// chmodDir and chmodSocket do nothing: Windows file modes only toggle read-only.
func chmodDir(string, os.FileMode) error { return nil }

func chmodSocket(string, os.FileMode) error { return nil }

func isRefused(err error) bool {
	return errors.Is(err, wsaeConnRefused) || errors.Is(err, syscall.ECONNREFUSED)
}

func isAddrInUse(err error) bool {
	return errors.Is(err, wsaeAddrInUse) || errors.Is(err, syscall.EADDRINUSE)
}
