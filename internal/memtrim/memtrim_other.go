//go:build !linux

package memtrim

// Trim does nothing here: Windows does not count a program's shared image pages as its
// private memory, and macOS has no fault-around to undo. It returns 0 and no error.
func Trim() (uintptr, error) { return 0, nil }
