package appconn

import (
	"encoding/binary"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/spotwatch/spotwatch/monitor/diagnosis"
)

// mibTable builds a GetExtendedTcpTable result from rows of state, remote address and pid.
func mibTable(v6 bool, rows ...mibRow) []byte {
	size := mibRow4Size
	if v6 {
		size = mibRow6Size
	}
	b := make([]byte, 4+len(rows)*size+8) // Windows' buffer is often larger than the rows
	binary.LittleEndian.PutUint32(b, uint32(len(rows)))
	for i, r := range rows {
		row := b[4+i*size:]
		remote := netip.MustParseAddrPort(r.remote)
		if v6 {
			copy(row[0:16], netip.IPv6Loopback().AsSlice())
			binary.BigEndian.PutUint16(row[20:], 50000)
			a := remote.Addr().As16()
			copy(row[24:40], a[:])
			binary.BigEndian.PutUint16(row[44:], remote.Port())
			binary.LittleEndian.PutUint32(row[48:], r.state)
			binary.LittleEndian.PutUint32(row[52:], r.pid)
		} else {
			binary.LittleEndian.PutUint32(row[0:], r.state)
			copy(row[4:8], []byte{192, 168, 1, 20})
			binary.BigEndian.PutUint16(row[8:], 50000)
			a := remote.Addr().As4()
			copy(row[12:16], a[:])
			binary.BigEndian.PutUint16(row[16:], remote.Port())
			binary.LittleEndian.PutUint32(row[20:], r.pid)
		}
	}
	return b
}

type mibRow struct {
	state  uint32
	remote string
	pid    uint32
}

func TestParseMibTable(t *testing.T) {
	pids := map[uint32]bool{4242: true, 4300: true}
	v4 := mibTable(false,
		mibRow{mibEstablished, "35.186.224.25:443", 4242},
		mibRow{mibSynSent, "104.199.65.124:4070", 4242},
		mibRow{mibSynSent, "104.199.65.124:4070", 4300}, // two processes, one address
		mibRow{2, "0.0.0.0:0", 4242},                    // LISTEN
		mibRow{mibEstablished, "10.0.0.1:443", 999},     // another program
		mibRow{mibSynSent, "10.0.0.2:443", 999},
	)
	v6 := mibTable(true,
		mibRow{mibSynSent, "[2600:1901:1:c36::]:443", 4300},
		mibRow{mibEstablished, "[2001:db8::1]:443", 4300},
		mibRow{8, "[2001:db8::1]:443", 4300}, // CLOSE_WAIT
		mibRow{mibSynSent, "[2001:db8::2]:443", 1},
	)
	var c counter
	for _, tc := range []struct {
		b  []byte
		v6 bool
	}{{v4, false}, {v6, true}} {
		if err := parseMibTable(tc.b, tc.v6, pids, &c); err != nil {
			t.Fatal(err)
		}
	}
	var a diagnosis.AppConnections
	c.result(&a)
	want := []string{"104.199.65.124:4070", "[2600:1901:1:c36::]:443"}
	if a.Established != 2 || a.Stalled != 3 || !slices.Equal(a.Remotes, want) {
		t.Errorf("got %+v, want established 2, stalled 3, remotes %v", a, want)
	}

	for _, bad := range [][]byte{nil, {1, 0}, v4[:30], v6[:4+mibRow6Size]} {
		if err := parseMibTable(bad, bad != nil && len(bad) == 4+mibRow6Size, pids, &c); err == nil {
			t.Errorf("parseMibTable of %d bytes: no error", len(bad))
		} else if !strings.Contains(err.Error(), "TCP table") {
			t.Errorf("error %q does not say what it read", err)
		}
	}
}
