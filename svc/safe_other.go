//go:build !windows

package svc

// prepareDataDir is for Windows only: elsewhere the modes install sets suffice.
func prepareDataDir(Plan) error { return nil }
