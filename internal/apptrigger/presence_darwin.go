//go:build darwin

package apptrigger

import (
	"context"
	"time"

	"github.com/spotwatch/spotwatch/internal/appconn"
	"github.com/spotwatch/spotwatch/monitor/diagnosis"
	"golang.org/x/sys/unix"
)

// processPoll is how often the process list is read: the app's start is noticed within 5 s.
const processPoll = 5 * time.Second

// defaultFind lists the Spotify processes from the kernel's process table (sysctl
// kern.proc.all); their connections are not read on macOS (internal/appconn).
func defaultFind() diagnosis.AppConnections {
	procs, err := unix.SysctlKinfoProcSlice("kern.proc.all")
	if err != nil {
		return diagnosis.AppConnections{Note: "listing processes: " + err.Error()}
	}
	var out diagnosis.AppConnections
	for _, p := range procs {
		if appconn.Matches(unix.ByteSliceToString(p.Proc.P_comm[:])) {
			out.Running = true
			out.PIDs = append(out.PIDs, int(p.Proc.P_pid))
		}
	}
	return out
}

// defaultConns reads nothing: macOS's TCP table with owning processes needs libproc (cgo).
func defaultConns([]int) diagnosis.AppConnections { return diagnosis.AppConnections{Running: true} }

// socketsReader is none: the table is read at every poll.
func socketsReader() func([]int) []uint64 { return nil }

// newDefaultPresent reads the process list.
func newDefaultPresent() func() bool { return func() bool { return defaultFind().Running } }

// watchPresence polls the process list: NSWorkspace's launch notifications need cgo.
func watchPresence(ctx context.Context, running chan bool, emit func(Event), opts Options) {
	pollPresence(ctx, running, emit, opts)
}
