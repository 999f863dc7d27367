package appconn

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"net/netip"
	"strconv"
)

// Linux's TCP state codes in /proc/net/tcp (include/net/tcp_states.h).
const (
	linuxEstablished = 0x01
	linuxSynSent     = 0x02
)

// readBuf is how much of /proc/net/tcp{,6} one read asks for, and bounds a line (the kernel pads
// IPv4 lines to 150 bytes; IPv6 lines are about 170). Each read makes the kernel walk its
// connection hash table again from where it stopped, so small reads cost: 512-byte reads made a
// snapshot with Spotify running almost twice as slow.
const readBuf = 64 << 10

// parseProcTCP reads a /proc/net/tcp or tcp6 table and counts, into c, the sockets whose inode
// is in inodes, reading through buf (nil: a new one of readBuf bytes). The header line and lines
// that do not parse are skipped; an error is one from reading r.
func parseProcTCP(r io.Reader, inodes map[uint64]bool, c *counter, buf []byte) error {
	if buf == nil {
		buf = make([]byte, readBuf)
	}
	sc := bufio.NewScanner(r)
	sc.Buffer(buf[:0], len(buf))
	for sc.Scan() {
		line := sc.Bytes()
		// sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode
		var f [10][]byte
		n := 0
		for rest := line; n < len(f); n++ {
			rest = bytes.TrimLeft(rest, " ")
			i := bytes.IndexByte(rest, ' ')
			if i < 0 {
				f[n] = rest
				n++
				break
			}
			f[n], rest = rest[:i], rest[i:]
		}
		if n < len(f) {
			continue
		}
		inode, err := strconv.ParseUint(string(f[9]), 10, 64)
		if err != nil || inode == 0 || !inodes[inode] {
			continue
		}
		st, err := strconv.ParseUint(string(f[3]), 16, 8)
		if err != nil {
			continue
		}
		switch st {
		case linuxEstablished:
			c.add(stateEstablished, netip.AddrPort{})
		case linuxSynSent:
			remote, err := parseProcAddr(string(f[2]))
			if err != nil {
				continue
			}
			c.add(stateSynSent, remote)
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("reading the TCP table: %w", err)
	}
	return nil
}

// parseProcAddr decodes an address of /proc/net/tcp{,6}: 8 or 32 hex digits, the address as
// 32-bit words each printed in host byte order (little-endian on every platform Spotify ships
// for), then ":" and the port in 4 hex digits.
func parseProcAddr(s string) (netip.AddrPort, error) {
	i := len(s) - 5
	if i < 0 || s[i] != ':' {
		return netip.AddrPort{}, fmt.Errorf("TCP table address %q: no port", s)
	}
	port, err := strconv.ParseUint(s[i+1:], 16, 16)
	if err != nil {
		return netip.AddrPort{}, fmt.Errorf("TCP table address %q: %w", s, err)
	}
	raw, err := hex.DecodeString(s[:i])
	if err != nil || (len(raw) != 4 && len(raw) != 16) {
		return netip.AddrPort{}, fmt.Errorf("TCP table address %q: not 8 or 32 hex digits", s)
	}
	var b [16]byte
	for w := 0; w < len(raw); w += 4 {
		// The hex text is the word's value; the word's bytes in memory are the address's.
		binary.NativeEndian.PutUint32(b[w:], binary.BigEndian.Uint32(raw[w:]))
	}
	var addr netip.Addr
	if len(raw) == 4 {
		addr = netip.AddrFrom4([4]byte(b[:4]))
	} else {
		addr = netip.AddrFrom16(b).Unmap()
	}
	return netip.AddrPortFrom(addr, uint16(port)), nil
}
