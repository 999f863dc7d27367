//go:build linux

package filewatch

import (
	"context"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

// dirEvents are the changes of a directory entry that may change a file: written and closed,
// renamed over or away (editors save by rename), created, deleted, its attributes.
const dirEvents = unix.IN_CLOSE_WRITE | unix.IN_MOVED_TO | unix.IN_MOVED_FROM | unix.IN_CREATE | unix.IN_DELETE | unix.IN_ATTRIB |
	unix.IN_DELETE_SELF | unix.IN_MOVE_SELF

// Watch sends on the returned channel (buffered, one pending value) whenever an entry of path's
// directory changes, until ctx is done; then the channel is closed. It watches the directory,
// not the file, so that a file replaced by a rename, deleted or created later is still followed.
// It returns an error when the directory cannot be watched (it does not exist, inotify's limits).
// If the directory itself goes away the channel is closed early: the caller falls back to polling.
func Watch(ctx context.Context, path string) (<-chan struct{}, error) {
	dir := filepath.Dir(path)
	fd, err := unix.InotifyInit1(unix.IN_CLOEXEC | unix.IN_NONBLOCK)
	if err != nil {
		return nil, fmt.Errorf("watching %s: %w", dir, err)
	}
	if _, err := unix.InotifyAddWatch(fd, dir, dirEvents); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("watching %s: %w", dir, err)
	}
	return follow(ctx, fd, "inotify "+dir, func(events []byte) (send, stop bool) {
		return true, gone(events)
	}), nil
}

// follow reads the inotify descriptor fd until ctx is done or read says stop, sending on the
// returned channel (buffered, one pending value) for each batch of events read says to send
// for; then it closes the channel. The descriptor is non-blocking: the runtime's poller waits
// on it, no thread and no timer.
func follow(ctx context.Context, fd int, name string, read func(events []byte) (send, stop bool)) <-chan struct{} {
	f := os.NewFile(uintptr(fd), name)
	ch := make(chan struct{}, 1)
	stopRead := context.AfterFunc(ctx, func() { f.Close() })
	go func() {
		defer close(ch)
		defer stopRead()
		defer f.Close()
		buf := make([]byte, 64*(unix.SizeofInotifyEvent+unix.NAME_MAX+1))
		for {
			n, err := f.Read(buf)
			if err != nil || n < unix.SizeofInotifyEvent {
				return // closed (ctx done) or broken: the caller looks by itself
			}
			send, stop := read(buf[:n])
			if send {
				select {
				case ch <- struct{}{}:
				default:
				}
			}
			if stop {
				return
			}
		}
	}()
	return ch
}

// gone reports whether the events say the watched directory itself went away. An event is
// struct inotify_event: wd, mask, cookie, len (4 bytes each, native order), then len bytes of name.
func gone(events []byte) bool {
	for len(events) >= unix.SizeofInotifyEvent {
		mask := binary.NativeEndian.Uint32(events[4:8])
		if mask&(unix.IN_DELETE_SELF|unix.IN_MOVE_SELF|unix.IN_IGNORED) != 0 {
			return true
		}
		next := unix.SizeofInotifyEvent + int(binary.NativeEndian.Uint32(events[12:16]))
		if next > len(events) {
			break
		}
		events = events[next:]
	}
	return false
}

// openEvents are a file in the directory being opened (running a program opens its file: the
// kernel's execve does) and the directory itself going away.
const openEvents = unix.IN_OPEN | unix.IN_ONLYDIR | unix.IN_DELETE_SELF | unix.IN_MOVE_SELF

// Opens sends on the returned channel (buffered, one pending value) whenever one of files is
// opened, a program among them run included, until ctx is done; then the channel is closed.
// It watches the files' directories, filtered by name, so that a file a package manager
// replaces (a new file renamed over the old) is still followed; the other files of those
// directories being opened are read and dropped by the watcher, never sent. If one of the
// directories goes away (an uninstall, a snap's old revision unmounted) the channel is closed
// early: the caller looks for the files again. It returns an error when no directory can be
// watched.
func Opens(ctx context.Context, files []string) (<-chan struct{}, error) {
	if len(files) == 0 {
		return nil, fmt.Errorf("watching for opens: no file given")
	}
	fd, err := unix.InotifyInit1(unix.IN_CLOEXEC | unix.IN_NONBLOCK)
	if err != nil {
		return nil, fmt.Errorf("watching for opens of %s: %w", files[0], err)
	}
	names := map[int32]map[string]bool{} // watch descriptor → the names watched in its directory
	for _, file := range files {
		dir := filepath.Dir(file)
		wd, err := unix.InotifyAddWatch(fd, dir, openEvents)
		if err != nil {
			unix.Close(fd)
			return nil, fmt.Errorf("watching for opens of %s: %w", file, err)
		}
		if names[int32(wd)] == nil {
			names[int32(wd)] = map[string]bool{}
		}
		names[int32(wd)][filepath.Base(file)] = true
	}
	return follow(ctx, fd, "inotify opens", func(events []byte) (send, stop bool) {
		return openedOf(events, names)
	}), nil
}

// openedOf reads a batch of inotify events: whether one of the watched names was opened, and
// whether a watched directory went away.
func openedOf(events []byte, names map[int32]map[string]bool) (hit, gone bool) {
	for len(events) >= unix.SizeofInotifyEvent {
		wd := int32(binary.NativeEndian.Uint32(events[0:4]))
		mask := binary.NativeEndian.Uint32(events[4:8])
		size := int(binary.NativeEndian.Uint32(events[12:16]))
		next := unix.SizeofInotifyEvent + size
		if next > len(events) {
			break
		}
		name := strings.TrimRight(string(events[unix.SizeofInotifyEvent:next]), "\x00")
		switch {
		case mask&(unix.IN_DELETE_SELF|unix.IN_MOVE_SELF|unix.IN_IGNORED|unix.IN_UNMOUNT) != 0:
			gone = true
		case mask&unix.IN_OPEN != 0 && names[wd][name]:
			hit = true
		}
		events = events[next:]
	}
	return hit, gone
}
