package netstate

import (
	"bufio"
	"fmt"
	"io"
	"net/netip"
	"os"
	"strings"
)

// resolvConf is the resolver configuration of Linux and macOS (on macOS written by configd
// from the primary service's DNS servers).
const resolvConf = "/etc/resolv.conf"

// readResolvConf returns the nameservers of a resolv.conf file, nil when it does not exist.
func readResolvConf(path string) ([]string, error) {
	f, err := os.Open(path)
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading DNS servers: %w", err)
	}
	defer f.Close()
	servers, err := parseResolvConf(f)
	if err != nil {
		return servers, fmt.Errorf("reading DNS servers from %s: %w", path, err)
	}
	return servers, nil
}

// parseResolvConf reads the "nameserver ADDR" lines of resolv.conf; a local stub resolver
// (systemd-resolved's 127.0.0.53) is listed as it is, since it is the server in use.
func parseResolvConf(r io.Reader) ([]string, error) {
	var addrs []netip.Addr
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 2 || f[0] != "nameserver" {
			continue
		}
		if a, err := netip.ParseAddr(f[1]); err == nil {
			addrs = append(addrs, a)
		}
	}
	return dedupeDNS(addrs), sc.Err()
}
