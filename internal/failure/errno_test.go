package failure

import (
	"net"
	"os"
	"strings"
	"syscall"
	"testing"
)

// TestWindowsErrnos runs the Windows table on any OS, with the errors shaped as Go's net package
// returns them on Windows (*net.OpError around *os.SyscallError around syscall.Errno).
func TestWindowsErrnos(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		errno uintptr
		want  string
	}{
		{"WSAECONNREFUSED", 10061, ConnectionRefused},
		{"ERROR_CONNECTION_REFUSED", 1225, ConnectionRefused},
		{"ERROR_PORT_UNREACHABLE", 1234, ConnectionRefused},
		{"WSAECONNRESET", 10054, ConnectionReset},
		{"WSAECONNABORTED", 10053, ConnectionReset},
		{"WSAENETRESET", 10052, ConnectionReset},
		{"ERROR_NETNAME_DELETED", 64, ConnectionReset},
		{"ERROR_CONNECTION_ABORTED", 1236, ConnectionReset},
		{"WSAEHOSTUNREACH", 10065, HostUnreachable},
		{"WSAEHOSTDOWN", 10064, HostUnreachable},
		{"ERROR_HOST_UNREACHABLE", 1232, HostUnreachable},
		{"WSAENETUNREACH", 10051, NetworkUnreachable},
		{"WSAENETDOWN", 10050, NetworkUnreachable},
		{"ERROR_NETWORK_UNREACHABLE", 1231, NetworkUnreachable},
		{"WSAEACCES", 10013, PermissionDenied},
		{"ERROR_NETWORK_ACCESS_DENIED", 65, PermissionDenied},
		{"ERROR_ACCESS_DENIED", 5, PermissionDenied},
		{"WSAETIMEDOUT", 10060, GenericTimeout},
		{"ERROR_TIMEOUT", 1460, GenericTimeout},
		{"ERROR_SEM_TIMEOUT", 121, GenericTimeout},
		{"WSAHOST_NOT_FOUND", 11001, DNSNXDomain},
		{"DNS_ERROR_RCODE_NAME_ERROR", 9003, DNSNXDomain},
		{"WSANO_DATA", 11004, DNSNoData},
		{"DNS_INFO_NO_RECORDS", 9501, DNSNoData},
		{"WSATRY_AGAIN", 11002, DNSServFail},
		{"WSANO_RECOVERY", 11003, DNSServFail},
		{"DNS_ERROR_RCODE_SERVER_FAILURE", 9002, DNSServFail},
		{"DNS_ERROR_RCODE_REFUSED", 9005, DNSRefused},
		{"WSAEMFILE", 10024, LocalResourceExhausted},
		{"WSAENOBUFS", 10055, LocalResourceExhausted},
		{"ERROR_NOT_ENOUGH_MEMORY", 8, LocalResourceExhausted},
		{"ERROR_OUTOFMEMORY", 14, LocalResourceExhausted},
		{"ERROR_NO_SYSTEM_RESOURCES", 1450, LocalResourceExhausted},
		{"WSAEWOULDBLOCK is not in the table", 10035, ""}, // "" stands for an unknown_failure
	}
	if n := len(tests) - 1; n != len(windowsErrnos) {
		t.Errorf("the table has %d entries, the test covers %d", len(windowsErrnos), n)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := &net.OpError{
				Op:  "dial",
				Net: "tcp",
				Addr: &net.TCPAddr{
					IP:   net.IPv4(1, 2, 3, 4),
					Port: 443,
				},
				Err: os.NewSyscallError("connectex", syscall.Errno(tt.errno)),
			}
			got := classify(err, windowsErrnoFailure)
			if tt.want == "" {
				if !strings.HasPrefix(got, UnknownPrefix) {
					t.Errorf("classify(%v) = %q, want an %q", err, got, UnknownPrefix)
				}
				return
			}
			if got != tt.want {
				t.Errorf("classify(%v) = %q, want %q", err, got, tt.want)
			}
		})
	}
}
