//go:build linux

package appconn

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// youngReads is how many reads of the process list a process's name is read again for before
// it is trusted: a launcher (a shell script, snap run, flatpak) becomes the app by exec soon
// after it starts, and the name changes with the exec.
const youngReads = 3

// Presence answers "does the Spotify app run in this network namespace?" from the process list,
// read again and again by a poller (internal/apptrigger without a session bus), at a cost that
// does not grow with the processes that were already there: a process's name is read for its
// first youngReads reads only, and again never, unless it was Spotify's. A read lists /proc
// (a few getdents calls) and reads the names of the processes that are new. A process that
// becomes Spotify by exec long after it started is not seen; a launcher's exec comes at once.
//
// A Presence is for one goroutine at a time.
type Presence struct {
	proc    string
	known   map[int]procSeen
	lastPID string // the newest pid when the list was last read (/proc/loadavg); "" = unknown
}

// procSeen is what the reads of the process list learnt of one process.
type procSeen struct {
	reads   int  // how many reads have seen it
	spotify bool // its name was Spotify's at the last read of it
}

// NewPresence returns a Presence reading root's /proc ("" = "/").
func NewPresence(root string) *Presence {
	if root == "" {
		root = "/"
	}
	return &Presence{proc: filepath.Join(root, "proc"), known: map[int]procSeen{}}
}

// Running reports whether a Spotify process runs in the calling thread's network namespace.
func (p *Presence) Running() (bool, error) {
	// No process was made since the last read (the kernel's newest pid is the same): only the
	// young processes and Spotify's are looked at again, without listing /proc.
	last := newestPID(p.proc)
	if last != "" && last == p.lastPID {
		return p.inNamespace(p.reread())
	}
	pids, err := listPIDs(p.proc)
	if err != nil {
		return false, err
	}
	p.lastPID = last
	listed := make(map[int]bool, len(pids))
	var spotify []int
	for _, pid := range pids {
		listed[pid] = true
		seen, ok := p.known[pid]
		if !ok || seen.reads < youngReads || seen.spotify {
			seen.spotify = Matches(readComm(filepath.Join(p.proc, strconv.Itoa(pid), "comm")))
		}
		seen.reads++
		p.known[pid] = seen
		if seen.spotify {
			spotify = append(spotify, pid)
		}
	}
	for pid := range p.known {
		if !listed[pid] {
			delete(p.known, pid) // gone; a pid used again starts young
		}
	}
	return p.inNamespace(spotify)
}

// reread reads again the names of the processes still young or Spotify's, forgetting those
// gone, and returns Spotify's.
func (p *Presence) reread() []int {
	var spotify []int
	for pid, seen := range p.known {
		if seen.reads >= youngReads && !seen.spotify {
			continue
		}
		name := readComm(filepath.Join(p.proc, strconv.Itoa(pid), "comm"))
		if name == "" {
			delete(p.known, pid)
			continue
		}
		seen.spotify = Matches(name)
		seen.reads++
		p.known[pid] = seen
		if seen.spotify {
			spotify = append(spotify, pid)
		}
	}
	return spotify
}

// inNamespace reports whether one of the Spotify processes shares this thread's network.
func (p *Presence) inNamespace(spotify []int) (bool, error) {
	if len(spotify) == 0 {
		return false, nil
	}
	self, err := os.Readlink(filepath.Join(p.proc, "thread-self", "ns", "net"))
	if err != nil {
		return false, fmt.Errorf("reading this thread's network namespace: %w", err)
	}
	for _, pid := range spotify {
		if ns, err := os.Readlink(filepath.Join(p.proc, strconv.Itoa(pid), "ns", "net")); err == nil && ns == self {
			return true, nil
		}
	}
	return false, nil
}

// newestPID is the last pid the kernel gave out in this pid namespace (the last field of
// /proc/loadavg), "" when it cannot be read. It is read at every poll, so with bare system
// calls (readComm's).
func newestPID(proc string) string {
	f := strings.Fields(readComm(filepath.Join(proc, "loadavg")))
	if len(f) != 5 {
		return ""
	}
	return f[4]
}
