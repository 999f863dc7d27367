//go:build windows

package probe

import (
	"os"

	"golang.org/x/sys/windows"
)

// diskFree is the space free for this user on the volume holding path.
func diskFree(path string) (uint64, error) {
	p, err := windows.UTF16PtrFromString(path)
	if err != nil {
		return 0, err
	}
	var free, total, totalFree uint64
	if err := windows.GetDiskFreeSpaceEx(p, &free, &total, &totalFree); err != nil {
		return 0, err
	}
	return free, nil
}

// ownsHome: the folder is this process's user profile's (a service runs with the system
// profile, whose folders hold no Spotify).
func ownsHome(home string) bool {
	_, err := os.Stat(home)
	return err == nil
}

// writable reports whether a file can be created in dir: Windows decides by ACLs, which no
// mode bits show, so it creates an empty file (O_EXCL) and removes it.
func writable(dir string) bool {
	f, err := os.CreateTemp(dir, ".spotwatch-write-test-*")
	if err != nil {
		return false
	}
	name := f.Name()
	f.Close()
	os.Remove(name)
	return true
}
