package statusapi

import (
	"fmt"
	"net"
	"strings"
)

// loopbackAddr checks that listen is a loopback host and a port; "localhost" becomes
// 127.0.0.1 (what the resolver says it is does not matter).
func loopbackAddr(listen string) (string, error) {
	host, port, err := net.SplitHostPort(listen)
	if err != nil {
		return "", fmt.Errorf("metrics.listen %q: want host:port on loopback, such as 127.0.0.1:9109: %w", listen, err)
	}
	if strings.EqualFold(host, "localhost") {
		host = "127.0.0.1"
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return "", fmt.Errorf("metrics.listen %q: %q is not a loopback address; spotwatch serves metrics only on 127.0.0.1, ::1 or localhost (scrape it through a local agent or an SSH tunnel)", listen, host)
	}
	return net.JoinHostPort(ip.String(), port), nil
}
