//go:build unix

package failure

import (
	"net"
	"os"
	"strings"
	"syscall"
	"testing"
)

// TestUnixErrnos runs the unix table with the errors shaped as Go's net package returns them.
func TestUnixErrnos(t *testing.T) {
	t.Parallel()
	tests := []struct {
		errno syscall.Errno
		want  string // "" stands for an unknown_failure
	}{
		{syscall.ECONNREFUSED, ConnectionRefused},
		{syscall.ECONNRESET, ConnectionReset},
		{syscall.EPIPE, ConnectionReset},
		{syscall.ECONNABORTED, ConnectionReset},
		{syscall.ENETRESET, ConnectionReset},
		{syscall.EHOSTUNREACH, HostUnreachable},
		{syscall.EHOSTDOWN, HostUnreachable},
		{syscall.ENETUNREACH, NetworkUnreachable},
		{syscall.ENETDOWN, NetworkUnreachable},
		{syscall.EACCES, PermissionDenied},
		{syscall.EPERM, PermissionDenied},
		{syscall.ETIMEDOUT, GenericTimeout},
		{syscall.EMFILE, LocalResourceExhausted},
		{syscall.ENFILE, LocalResourceExhausted},
		{syscall.ENOMEM, LocalResourceExhausted},
		{syscall.ENOBUFS, LocalResourceExhausted},
		{syscall.EADDRNOTAVAIL, ""},
		{syscall.EAGAIN, GenericTimeout}, // not in the table: Errno.Timeout says so
	}
	for _, tt := range tests {
		t.Run(tt.errno.Error(), func(t *testing.T) {
			t.Parallel()
			err := &net.OpError{
				Op:   "dial",
				Net:  "tcp",
				Addr: &net.TCPAddr{IP: net.IPv4(198, 51, 100, 1), Port: 443},
				Err:  os.NewSyscallError("connect", tt.errno),
			}
			got := Classify(err)
			if tt.want == "" {
				if !strings.HasPrefix(got, UnknownPrefix) {
					t.Errorf("Classify(%v) = %q, want an %q", err, got, UnknownPrefix)
				}
				return
			}
			if got != tt.want {
				t.Errorf("Classify(%v) = %q, want %q", err, got, tt.want)
			}
		})
	}
}
