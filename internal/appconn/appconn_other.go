//go:build !linux && !windows

package appconn

import "github.com/spotwatch/spotwatch/monitor/diagnosis"

// Snapshot is not implemented on this OS: it says so in Note. root is ignored.
func Snapshot(root string) diagnosis.AppConnections {
	return diagnosis.AppConnections{Note: "not read on this OS"}
}
