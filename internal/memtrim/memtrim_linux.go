//go:build linux

package memtrim

import (
	"bufio"
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"syscall"

	"github.com/spotwatch/spotwatch/internal/boundedread"
	"golang.org/x/sys/unix"
)

// mapsCap bounds the read of /proc/self/maps: a Go daemon has a few dozen mappings.
const mapsCap = 1 << 20

// Trim unmaps the program's read-only file mappings (see the package comment) and returns how
// many bytes of address space it advised away. An error says what could not be read or done;
// the process is unharmed either way.
func Trim() (uintptr, error) {
	regions, err := Regions()
	if err != nil {
		return 0, err
	}
	var total uintptr
	for _, r := range regions {
		// MADV_DONTNEED on a private file mapping never written drops the page table entries
		// only: the page cache keeps the pages and the next access maps them again.
		if _, _, errno := unix.Syscall(unix.SYS_MADVISE, r.Start, r.Size(), unix.MADV_DONTNEED); errno != 0 {
			return total, fmt.Errorf("madvise(MADV_DONTNEED) on %#x-%#x: %w", r.Start, r.End, errno)
		}
		total += r.Size()
	}
	return total, nil
}

// Regions lists the mappings of the running program's own file that are readable and neither
// writable nor shared: its code and read-only data.
func Regions() ([]Region, error) {
	var st syscall.Stat_t
	if err := syscall.Stat("/proc/self/exe", &st); err != nil {
		return nil, fmt.Errorf("finding the program's file: %w", err)
	}
	maps, err := boundedread.File("/proc/self/maps", mapsCap)
	if err != nil {
		return nil, fmt.Errorf("reading the process's mappings: %w", err)
	}
	return parseMaps(maps, uint64(st.Dev), st.Ino)
}

// parseMaps picks from /proc/PID/maps the read-only private mappings of the file with this
// device and inode.
func parseMaps(maps []byte, dev, ino uint64) ([]Region, error) {
	var out []Region
	sc := bufio.NewScanner(bytes.NewReader(maps))
	for sc.Scan() {
		// address perms offset dev inode [path]
		f := strings.Fields(sc.Text())
		if len(f) < 5 {
			return nil, fmt.Errorf("reading the process's mappings: a short line %q", sc.Text())
		}
		perms := f[1]
		if len(perms) != 4 || perms[0] != 'r' || perms[1] != '-' || perms[3] != 'p' {
			continue
		}
		inode, err := strconv.ParseUint(f[4], 10, 64)
		if err != nil || inode != ino {
			continue
		}
		if d, ok := parseDev(f[3]); !ok || d != dev {
			continue
		}
		lo, hi, ok := strings.Cut(f[0], "-")
		start, err1 := strconv.ParseUint(lo, 16, 64)
		end, err2 := strconv.ParseUint(hi, 16, 64)
		if !ok || err1 != nil || err2 != nil || end <= start {
			return nil, fmt.Errorf("reading the process's mappings: a bad address range %q", f[0])
		}
		out = append(out, Region{Start: uintptr(start), End: uintptr(end), Perms: perms})
	}
	return out, sc.Err()
}

// parseDev turns maps' "major:minor" (hex) into the kernel's dev_t encoding, as stat gives it.
func parseDev(s string) (uint64, bool) {
	maj, min, ok := strings.Cut(s, ":")
	if !ok {
		return 0, false
	}
	ma, err1 := strconv.ParseUint(maj, 16, 32)
	mi, err2 := strconv.ParseUint(min, 16, 32)
	if err1 != nil || err2 != nil {
		return 0, false
	}
	return unix.Mkdev(uint32(ma), uint32(mi)), true
}
