package failure

import (
	"fmt"
	"net"
	"os"
	"syscall"
	"testing"
)

// TestClassifyWindowsRecordedErrors classifies, through the public Classify and so through this
// OS's errno table, errors shaped as Go's net package returns them on Windows (*net.OpError around
// *os.SyscallError from connectex, wsarecv or wsasend around a Winsock number; the comments give
// Windows' text for each), bare and wrapped as a probe wraps them. They must give the same strings
// as their Linux counterparts (issue 14).
func TestClassifyWindowsRecordedErrors(t *testing.T) {
	t.Parallel()
	addr := &net.TCPAddr{IP: net.IPv4(104, 199, 65, 124), Port: 4070}
	op := func(op, syscallName string, errno syscall.Errno) error {
		return &net.OpError{Op: op, Net: "tcp", Addr: addr, Err: os.NewSyscallError(syscallName, errno)}
	}
	tests := []struct {
		name string
		err  error
		want string
	}{
		// dial tcp 104.199.65.124:4070: connectex: No connection could be made because the target machine actively refused it.
		{"WSAECONNREFUSED on connect", op("dial", "connectex", 10061), ConnectionRefused},
		// read tcp …: wsarecv: An existing connection was forcibly closed by the remote host.
		{"WSAECONNRESET on read", op("read", "wsarecv", 10054), ConnectionReset},
		// write tcp …: wsasend: An existing connection was forcibly closed by the remote host.
		{"WSAECONNRESET on write", op("write", "wsasend", 10054), ConnectionReset},
		// write tcp …: wsasend: An established connection was aborted by the software in your host machine.
		{"WSAECONNABORTED on write", op("write", "wsasend", 10053), ConnectionReset},
		// dial tcp …: connectex: A connection attempt failed because the connected party did not properly respond…
		{"WSAETIMEDOUT on connect", op("dial", "connectex", 10060), GenericTimeout},
		// dial tcp …: connectex: A socket operation was attempted to an unreachable network.
		{"WSAENETUNREACH on connect", op("dial", "connectex", 10051), NetworkUnreachable},
		// dial tcp …: connectex: A socket operation was attempted to an unreachable host.
		{"WSAEHOSTUNREACH on connect", op("dial", "connectex", 10065), HostUnreachable},
		// dial tcp …: connectex: An attempt was made to access a socket in a way forbidden by its
		// access permissions. (what Windows Defender Firewall's outbound block gives)
		{"WSAEACCES on connect", op("dial", "connectex", 10013), PermissionDenied},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			for _, err := range []error{tt.err, fmt.Errorf("access point %s: %w", addr, tt.err)} {
				if got := Classify(err); got != tt.want {
					t.Errorf("Classify(%v) = %q, want %q", err, got, tt.want)
				}
			}
		})
	}
}
