package testutil

import (
	"sync"
	"syscall"
)

// underWine looks for ntdll's wine_get_version once; ntdll.dll is in every process already.
var underWine = sync.OnceValue(func() bool {
	return syscall.NewLazyDLL("ntdll.dll").NewProc("wine_get_version").Find() == nil
})
