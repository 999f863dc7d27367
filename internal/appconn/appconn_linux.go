//go:build linux

package appconn

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/spotwatch/spotwatch/monitor/diagnosis"
	"golang.org/x/sys/unix"
)

// maxTable bounds how much of one /proc/PID/net/tcp{,6} is read: about 400,000 sockets.
const maxTable = 64 << 20

// Snapshot reads the Spotify app's TCP connections from the proc file system under root ("" is
// "/"): the processes whose comm or exe Matches, their sockets from /proc/PID/fd, and those
// sockets' states from /proc/PID/net/tcp and tcp6, read once per network namespace (a Flatpak
// or a sandbox may give the app its own). Processes of another user whose fd cannot be read are
// skipped and named in Note: then Running is true but the counts miss their connections.
func Snapshot(root string) diagnosis.AppConnections {
	return snapshot(root, func(_ int, comm, exe func() string) bool {
		return Matches(comm()) || Matches(exe())
	})
}

// SnapshotHere is Snapshot for the Spotify processes that share this process's network
// namespace. Only their connections speak for the network spotwatch probes: a Flatpak or snap
// app shares it, while an app in a container, or a test's stand-in in a namespace of its own,
// has another network, and another machine's verdict.
func SnapshotHere(root string) diagnosis.AppConnections {
	if root == "" {
		root = "/"
	}
	proc := filepath.Join(root, "proc")
	// The calling thread's namespace, not the process's (/proc/self names the main thread's,
	// which a program may have moved, as netstate's readers also take care of).
	self, selfErr := os.Readlink(filepath.Join(proc, "thread-self", "ns", "net"))
	return snapshot(root, func(pid int, comm, exe func() string) bool {
		if !Matches(comm()) && !Matches(exe()) {
			return false
		}
		ns, err := os.Readlink(filepath.Join(proc, strconv.Itoa(pid), "ns", "net"))
		return selfErr == nil && err == nil && ns == self
	})
}

// RunningHere reports whether a Spotify process runs in this thread's network namespace, as
// cheaply as the process list allows: each process's comm only (the app's main process is
// named "spotify" in every packaging), no sockets. A poller reads a Presence instead, which
// reads only the new processes' names.
func RunningHere(root string) (bool, error) {
	return NewPresence(root).Running()
}

// matcher decides whether process pid is Spotify's; comm and exe read them when called.
type matcher func(pid int, comm, exe func() string) bool

func snapshot(root string, match matcher) diagnosis.AppConnections {
	if root == "" {
		root = "/"
	}
	proc := filepath.Join(root, "proc")
	pids, err := findProcesses(proc, match)
	if err != nil {
		return diagnosis.AppConnections{Note: err.Error()}
	}
	return count(proc, pids)
}

// SnapshotPIDs is Snapshot for the given processes only, those of them that still run and are
// still Spotify's: it skips the walk over every process (most of a snapshot's cost), for a
// caller that already knows the app's processes and reads their connections often
// (internal/apptrigger, while the app runs).
func SnapshotPIDs(root string, pids []int) diagnosis.AppConnections {
	if root == "" {
		root = "/"
	}
	proc := filepath.Join(root, "proc")
	var alive []int
	for _, pid := range pids {
		dir := filepath.Join(proc, strconv.Itoa(pid))
		if Matches(readComm(filepath.Join(dir, "comm"))) {
			alive = append(alive, pid)
			continue
		}
		if exe, err := os.Readlink(filepath.Join(dir, "exe")); err == nil && Matches(exe) {
			alive = append(alive, pid)
		}
	}
	slices.Sort(alive)
	return count(proc, alive)
}

// Sockets lists the inodes of the sockets the processes pids hold, sorted: a cheap fingerprint
// of the app's connections (no TCP table is read), for a poller that reads the table only
// when the set changed (internal/apptrigger). Processes that went are skipped.
func Sockets(root string, pids []int) []uint64 {
	if root == "" {
		root = "/"
	}
	var out []uint64
	for _, pid := range pids {
		inodes, err := socketInodes(filepath.Join(root, "proc", strconv.Itoa(pid), "fd"))
		if err != nil {
			continue
		}
		for i := range inodes {
			out = append(out, i)
		}
	}
	slices.Sort(out)
	return out
}

// count reads the connections of the processes pids under proc.
func count(proc string, pids []int) diagnosis.AppConnections {
	var out diagnosis.AppConnections
	if len(pids) == 0 {
		return out
	}
	out.Running = true
	out.PIDs = pids

	// The sockets of each network namespace, and one process in it to read its table through.
	type netns struct {
		pid    int
		inodes map[uint64]bool
	}
	var order []string
	spaces := map[string]*netns{}
	var unreadable []string
	for _, pid := range pids {
		dir := filepath.Join(proc, strconv.Itoa(pid))
		inodes, err := socketInodes(filepath.Join(dir, "fd"))
		if err != nil {
			if errors.Is(err, fs.ErrPermission) {
				unreadable = append(unreadable, strconv.Itoa(pid))
			}
			continue // or the process ended
		}
		if len(inodes) == 0 {
			continue
		}
		key, err := os.Readlink(filepath.Join(dir, "ns", "net"))
		if err != nil {
			key = "pid " + strconv.Itoa(pid)
		}
		ns := spaces[key]
		if ns == nil {
			ns = &netns{pid: pid, inodes: map[uint64]bool{}}
			spaces[key] = ns
			order = append(order, key)
		}
		for i := range inodes {
			ns.inodes[i] = true
		}
	}
	var c counter
	var problems []string
	buf := make([]byte, readBuf) // one for every table
	for _, key := range order {
		ns := spaces[key]
		for _, table := range []string{"tcp", "tcp6"} {
			err := readTable(filepath.Join(proc, strconv.Itoa(ns.pid), "net", table), ns.inodes, &c, buf)
			if err != nil && !errors.Is(err, fs.ErrNotExist) { // no tcp6 without IPv6
				problems = append(problems, err.Error())
			}
		}
	}
	c.result(&out)
	if len(unreadable) > 0 {
		what := "process " + unreadable[0]
		if len(unreadable) > 1 {
			what = "processes " + strings.Join(unreadable, ", ")
		}
		problems = append(problems, fmt.Sprintf("the sockets of Spotify %s could not be read (another user's: run spotwatch as that user or as root)", what))
	}
	out.Note = strings.Join(problems, "; ")
	return out
}

// findProcesses lists the processes under proc that match, by pid.
func findProcesses(proc string, match matcher) ([]int, error) {
	all, err := listPIDs(proc)
	if err != nil {
		return nil, err
	}
	var pids []int
	for _, pid := range all {
		dir := filepath.Join(proc, strconv.Itoa(pid))
		comm := func() string { return readComm(filepath.Join(dir, "comm")) }
		exe := func() string {
			s, _ := os.Readlink(filepath.Join(dir, "exe")) // kernel threads have none
			return s
		}
		if match(pid, comm, exe) {
			pids = append(pids, pid)
		}
	}
	slices.Sort(pids)
	return pids, nil
}

// listPIDs lists the processes under proc: its entries named by a number.
func listPIDs(proc string) ([]int, error) {
	d, err := os.Open(proc)
	if err != nil {
		return nil, fmt.Errorf("reading the process list: %w", err)
	}
	names, err := d.Readdirnames(-1)
	d.Close()
	if err != nil {
		return nil, fmt.Errorf("reading the process list: %w", err)
	}
	pids := make([]int, 0, len(names))
	for _, name := range names {
		if name == "" || name[0] < '1' || name[0] > '9' {
			continue
		}
		if pid, err := strconv.Atoi(name); err == nil {
			pids = append(pids, pid)
		}
	}
	return pids, nil
}

// readComm returns /proc/PID/comm (or another line of at most 64 bytes, /proc/loadavg) without
// its newline, "" if it cannot be read. It is read for every process on every check, so with
// three plain system calls: os.Open's extra fcntl and poller registration doubled the cost of a
// snapshot.
func readComm(name string) string {
	fd, err := unix.Open(name, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return ""
	}
	var b [64]byte // the kernel's TASK_COMM_LEN is 16
	n, err := unix.Read(fd, b[:])
	unix.Close(fd)
	if err != nil || n <= 0 {
		return ""
	}
	return strings.TrimSuffix(string(b[:n]), "\n")
}

// socketInodes returns the inodes of the sockets among a process's open files (/proc/PID/fd
// links "socket:[N]").
func socketInodes(fdDir string) (map[uint64]bool, error) {
	d, err := os.Open(fdDir)
	if err != nil {
		return nil, fmt.Errorf("reading a process's files: %w", err)
	}
	names, err := d.Readdirnames(-1)
	d.Close()
	if err != nil {
		return nil, fmt.Errorf("reading a process's files: %w", err)
	}
	inodes := map[uint64]bool{}
	for _, name := range names {
		link, err := os.Readlink(filepath.Join(fdDir, name))
		if err != nil {
			continue // closed meanwhile
		}
		s, ok := strings.CutPrefix(link, "socket:[")
		if !ok {
			continue
		}
		s, ok = strings.CutSuffix(s, "]")
		if !ok {
			continue
		}
		if n, err := strconv.ParseUint(s, 10, 64); err == nil {
			inodes[n] = true
		}
	}
	return inodes, nil
}

// readTable counts the sockets of inodes in one /proc/PID/net/tcp{,6}.
func readTable(name string, inodes map[uint64]bool, c *counter, buf []byte) error {
	f, err := os.Open(name)
	if err != nil {
		return fmt.Errorf("reading the TCP table: %w", err)
	}
	defer f.Close()
	if err := parseProcTCP(io.LimitReader(f, maxTable), inodes, c, buf); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	return nil
}
