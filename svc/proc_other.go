//go:build !linux && !darwin && !windows

package svc

import "context"

func startTray(context.Context, Plan) (string, error) {
	return "not started now; it starts at the next login", nil
}

func stopTray(context.Context, Plan) (string, error) { return "", nil }
