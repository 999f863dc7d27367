//go:build !linux && !windows && !darwin

package apptrigger

import (
	"context"

	"github.com/spotwatch/spotwatch/monitor/diagnosis"
)

func defaultFind() diagnosis.AppConnections       { return diagnosis.AppConnections{} }
func defaultConns([]int) diagnosis.AppConnections { return diagnosis.AppConnections{} }

// watchPresence does nothing on this OS: no process list reader.
func watchPresence(ctx context.Context, running chan bool, emit func(Event), opts Options) {
	setRunning(running, false)
}
