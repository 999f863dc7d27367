//go:build !linux && !windows && !darwin

package apptrigger

import (
	"context"
	"time"

	"github.com/spotwatch/spotwatch/monitor/diagnosis"
)

// processPoll is how often the process list is read (there is none to read on this OS).
const processPoll = time.Minute

func defaultFind() diagnosis.AppConnections       { return diagnosis.AppConnections{} }
func defaultConns([]int) diagnosis.AppConnections { return diagnosis.AppConnections{} }

// socketsReader is none: the table is read at every poll.
func socketsReader() func([]int) []uint64 { return nil }

// newDefaultPresent reads the process list.
func newDefaultPresent() func() bool { return func() bool { return defaultFind().Running } }

// watchPresence does nothing on this OS: no process list reader.
func watchPresence(ctx context.Context, running chan bool, emit func(Event), opts Options) {
	setRunning(running, false)
}
