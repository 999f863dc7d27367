//go:build !windows

package svc

import (
	"errors"
	"fmt"
)

// hkcuRun is the Windows Run key, which other systems do not have.
type hkcuRun struct{}

var errNoRegistry = fmt.Errorf("the Windows registry: %w", errors.ErrUnsupported)

func (hkcuRun) get(string) (string, bool, error) { return "", false, errNoRegistry }
func (hkcuRun) set(string, string) error         { return errNoRegistry }
func (hkcuRun) remove(string) error              { return errNoRegistry }
