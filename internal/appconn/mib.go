package appconn

import (
	"encoding/binary"
	"fmt"
	"net/netip"
)

// Windows' MIB_TCP_STATE values (tcpmib.h).
const (
	mibSynSent     = 3
	mibEstablished = 5
)

// The sizes of MIB_TCPROW_OWNER_PID and MIB_TCP6ROW_OWNER_PID; their tables are a DWORD count
// followed by the rows.
const (
	mibRow4Size = 24 // state, local addr, local port, remote addr, remote port, pid: DWORDs
	mibRow6Size = 56 // local addr[16], scope, port, remote addr[16], scope, port, state, pid
)

// parseMibTable counts, into c, the rows of a MIB_TCPTABLE_OWNER_PID (v6 false) or
// MIB_TCP6TABLE_OWNER_PID (v6 true), as GetExtendedTcpTable fills it, whose owning process is
// in pids. DWORDs are little-endian; addresses and ports are in network order.
func parseMibTable(b []byte, v6 bool, pids map[uint32]bool, c *counter) error {
	if len(b) < 4 {
		return fmt.Errorf("TCP table of %d bytes: no count", len(b))
	}
	size := mibRow4Size
	if v6 {
		size = mibRow6Size
	}
	n := int(binary.LittleEndian.Uint32(b))
	rows := b[4:]
	if n > len(rows)/size {
		return fmt.Errorf("TCP table says %d rows, has room for %d", n, len(rows)/size)
	}
	for i := range n {
		row := rows[i*size : (i+1)*size]
		var state, pid uint32
		var remote netip.AddrPort
		if v6 {
			state = binary.LittleEndian.Uint32(row[48:])
			pid = binary.LittleEndian.Uint32(row[52:])
			remote = netip.AddrPortFrom(netip.AddrFrom16([16]byte(row[24:40])).Unmap(), binary.BigEndian.Uint16(row[44:]))
		} else {
			state = binary.LittleEndian.Uint32(row[0:])
			pid = binary.LittleEndian.Uint32(row[20:])
			remote = netip.AddrPortFrom(netip.AddrFrom4([4]byte(row[12:16])), binary.BigEndian.Uint16(row[16:]))
		}
		if !pids[pid] {
			continue
		}
		switch state {
		case mibEstablished:
			c.add(stateEstablished, remote)
		case mibSynSent:
			c.add(stateSynSent, remote)
		}
	}
	return nil
}
