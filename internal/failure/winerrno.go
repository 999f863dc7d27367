package failure

import "syscall"

// windowsErrnos maps Windows error numbers (Winsock WSAE*, Win32 ERROR_*, DNS_*) to failure
// strings. It has no build tag so that the table is tested on every OS; errno_windows.go uses it.
// Read only.
var windowsErrnos = map[uintptr]string{
	10061: ConnectionRefused,  // WSAECONNREFUSED
	1225:  ConnectionRefused,  // ERROR_CONNECTION_REFUSED
	1234:  ConnectionRefused,  // ERROR_PORT_UNREACHABLE
	10054: ConnectionReset,    // WSAECONNRESET
	10053: ConnectionReset,    // WSAECONNABORTED (often a security product cutting the connection)
	10052: ConnectionReset,    // WSAENETRESET
	64:    ConnectionReset,    // ERROR_NETNAME_DELETED (a reset seen through overlapped I/O)
	1236:  ConnectionReset,    // ERROR_CONNECTION_ABORTED
	10065: HostUnreachable,    // WSAEHOSTUNREACH
	10064: HostUnreachable,    // WSAEHOSTDOWN
	1232:  HostUnreachable,    // ERROR_HOST_UNREACHABLE
	10051: NetworkUnreachable, // WSAENETUNREACH
	10050: NetworkUnreachable, // WSAENETDOWN
	1231:  NetworkUnreachable, // ERROR_NETWORK_UNREACHABLE
	10013: PermissionDenied,   // WSAEACCES (Windows Firewall outbound block)
	65:    PermissionDenied,   // ERROR_NETWORK_ACCESS_DENIED
	5:     PermissionDenied,   // ERROR_ACCESS_DENIED
	10060: GenericTimeout,     // WSAETIMEDOUT
	1460:  GenericTimeout,     // ERROR_TIMEOUT
	121:   GenericTimeout,     // ERROR_SEM_TIMEOUT
	11001: DNSNXDomain,        // WSAHOST_NOT_FOUND
	9003:  DNSNXDomain,        // DNS_ERROR_RCODE_NAME_ERROR
	11004: DNSNoData,          // WSANO_DATA
	9501:  DNSNoData,          // DNS_INFO_NO_RECORDS
	11002: DNSServFail,        // WSATRY_AGAIN
	11003: DNSServFail,        // WSANO_RECOVERY
	9002:  DNSServFail,        // DNS_ERROR_RCODE_SERVER_FAILURE
	9005:  DNSRefused,         // DNS_ERROR_RCODE_REFUSED

	10024: LocalResourceExhausted, // WSAEMFILE (too many open sockets)
	10055: LocalResourceExhausted, // WSAENOBUFS
	8:     LocalResourceExhausted, // ERROR_NOT_ENOUGH_MEMORY
	14:    LocalResourceExhausted, // ERROR_OUTOFMEMORY
	1450:  LocalResourceExhausted, // ERROR_NO_SYSTEM_RESOURCES
}

// windowsErrnoFailure is the failure string of a Windows error number, "" if it has none.
func windowsErrnoFailure(e syscall.Errno) string {
	return windowsErrnos[uintptr(e)]
}
