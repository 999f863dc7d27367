//go:build windows

package apptrigger

import (
	"context"
	"time"

	"github.com/spotwatch/spotwatch/internal/appconn"
	"github.com/spotwatch/spotwatch/monitor/diagnosis"
)

// processPoll is how often the process list is read: the app's start is noticed within 5 s.
const processPoll = 5 * time.Second

// defaultFind lists the Spotify.exe processes and their connections (Toolhelp and
// GetExtendedTcpTable).
func defaultFind() diagnosis.AppConnections { return appconn.Snapshot("") }

// defaultConns reads the app's connections: Windows' table is one call for every process,
// so the known pids save nothing.
func defaultConns([]int) diagnosis.AppConnections { return appconn.Snapshot("") }

// socketsReader is none: the table is read at every poll.
func socketsReader() func([]int) []uint64 { return nil }

// newDefaultPresent reads the process list.
func newDefaultPresent() func() bool { return func() bool { return defaultFind().Running } }

// watchPresence polls the process list: Windows tells no one when a program starts without WMI
// or ETW, both far heavier than a Toolhelp snapshot every few seconds.
func watchPresence(ctx context.Context, running chan bool, emit func(Event), opts Options) {
	pollPresence(ctx, running, emit, opts)
}
