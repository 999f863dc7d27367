//go:build !linux

package svc

import "testing"

// checkShell: sh and desktop-file-validate are Linux programs. On other systems the test that
// calls these compares the rendering with its golden file, which the Linux run of the same test
// validates with the real programs (render_linux_test.go).
func checkShell(t *testing.T, path string) { t.Helper() }

// checkDesktop: see checkShell.
func checkDesktop(t *testing.T, path string) { t.Helper() }
