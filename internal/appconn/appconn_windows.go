//go:build windows

package appconn

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"unsafe"

	"github.com/spotwatch/spotwatch/monitor/diagnosis"
	"golang.org/x/sys/windows"
)

var (
	iphlpapi                = windows.NewLazySystemDLL("iphlpapi.dll")
	procGetExtendedTcpTable = iphlpapi.NewProc("GetExtendedTcpTable")
)

const (
	tcpTableOwnerPIDAll = 5        // TCP_TABLE_OWNER_PID_ALL
	maxTable            = 64 << 20 // bounds the table buffer: over a million IPv6 rows
)

// Snapshot reads the Spotify app's TCP connections: the processes named Spotify.exe (Matches)
// from a Toolhelp snapshot, and their connections from GetExtendedTcpTable's IPv4 and IPv6
// tables with owning process ids. No admin rights are needed. root is ignored.
func Snapshot(root string) diagnosis.AppConnections {
	return snapshot(func(_ uint32, name string) bool { return Matches(name) })
}

// snapshot is Snapshot for the processes that match, by id and executable name.
func snapshot(match func(pid uint32, name string) bool) diagnosis.AppConnections {
	var out diagnosis.AppConnections
	pids, err := findProcesses(match)
	if err != nil {
		out.Note = err.Error()
		return out
	}
	if len(pids) == 0 {
		return out
	}
	out.Running = true
	set := map[uint32]bool{}
	for _, pid := range pids {
		out.PIDs = append(out.PIDs, int(pid))
		set[pid] = true
	}
	slices.Sort(out.PIDs)
	var c counter
	var problems []string
	for _, v6 := range []bool{false, true} {
		b, err := tcpTable(v6)
		if err == nil {
			err = parseMibTable(b, v6, set, &c)
		}
		if err != nil {
			problems = append(problems, err.Error())
		}
	}
	c.result(&out)
	out.Note = strings.Join(problems, "; ")
	return out
}

// findProcesses lists the running processes that match.
func findProcesses(match func(pid uint32, name string) bool) ([]uint32, error) {
	snap, err := windows.CreateToolhelp32Snapshot(windows.TH32CS_SNAPPROCESS, 0)
	if err != nil {
		return nil, fmt.Errorf("listing processes: %w", err)
	}
	defer windows.CloseHandle(snap)
	var pids []uint32
	e := windows.ProcessEntry32{Size: uint32(unsafe.Sizeof(windows.ProcessEntry32{}))}
	for err = windows.Process32First(snap, &e); err == nil; err = windows.Process32Next(snap, &e) {
		if match(e.ProcessID, windows.UTF16ToString(e.ExeFile[:])) {
			pids = append(pids, e.ProcessID)
		}
	}
	if !errors.Is(err, windows.ERROR_NO_MORE_FILES) {
		return pids, fmt.Errorf("listing processes: %w", err)
	}
	return pids, nil
}

// tcpTable returns GetExtendedTcpTable's TCP_TABLE_OWNER_PID_ALL for IPv4 or IPv6, growing the
// buffer while connections are added between the calls.
func tcpTable(v6 bool) ([]byte, error) {
	af, name := uintptr(windows.AF_INET), "IPv4"
	if v6 {
		af, name = uintptr(windows.AF_INET6), "IPv6"
	}
	size := uint32(4 + 64*mibRow6Size)
	for range 5 {
		if size > maxTable {
			break
		}
		b := make([]byte, size)
		r, _, _ := procGetExtendedTcpTable.Call(uintptr(unsafe.Pointer(&b[0])), uintptr(unsafe.Pointer(&size)), 0, af, tcpTableOwnerPIDAll, 0)
		switch errno := windows.Errno(r); errno {
		case 0:
			return b, nil
		case windows.ERROR_INSUFFICIENT_BUFFER:
			size += size / 4 // room for connections opened meanwhile
		default:
			return nil, fmt.Errorf("reading the %s TCP table: %w", name, errno)
		}
	}
	return nil, fmt.Errorf("reading the %s TCP table: it keeps growing (%d bytes)", name, size)
}
