package svc

import (
	"errors"
	"fmt"
)

// ErrUnsafeFile is wrapped by CheckFile's errors.
var ErrUnsafeFile = errors.New("users other than administrators could change it")

func unsafeFile(name, culprit, why, fix string) error {
	where := ""
	if culprit != name {
		where = " (" + culprit + ")"
	}
	return fmt.Errorf("%s: %w: %s%s; run: %s", name, ErrUnsafeFile, why, where, fix)
}
