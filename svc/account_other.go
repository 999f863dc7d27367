//go:build !linux

package svc

import (
	"context"
	"errors"
	"fmt"
)

// Service accounts are created on Linux only (SysV and OpenRC); elsewhere the Plan names none
// or a built-in one.

func accountExists(string) bool { return false }

func ensureAccount(context.Context, string, string) (bool, error) {
	return false, fmt.Errorf("creating a service account: %w", errors.ErrUnsupported)
}

func removeAccount(context.Context, string, bool) (bool, error) { return false, nil }

func chownAccount(path, name string) error {
	if name == "" {
		return nil
	}
	return fmt.Errorf("giving %s to %s: %w", path, name, errors.ErrUnsupported)
}
