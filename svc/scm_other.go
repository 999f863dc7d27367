//go:build !windows

package svc

import (
	"errors"
	"fmt"
)

func windowsInstalled(Plan) (string, bool, error) {
	return "", false, fmt.Errorf("the Windows service manager: %w", errors.ErrUnsupported)
}

func windowsInstalledConfig(string) (string, bool) { return "", false }

func markedForDeletion(error) bool { return false }
