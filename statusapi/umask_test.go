//go:build unix

package statusapi

import "syscall"

func umask(m int) int { return syscall.Umask(m) }
