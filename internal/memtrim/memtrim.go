// Package memtrim hands back to the kernel the pages of the program's own file that the
// process maps but no longer uses: its code and read-only data, mapped at start-up.
//
// A Go program touches most of its binary while it starts (every package's initialisation,
// type and function tables), and Linux maps 64 KB around every page it touches (fault-around).
// A daemon that then sleeps between checks keeps all of it in its resident set: for spotwatch,
// about 90 % of the binary, most of the idle RSS (docs/design.md, "Memory"). Trim unmaps
// those clean, file-backed pages. They stay in the page cache, shared with every other process
// of the same file; the next use maps a page again from there (a minor fault, no disk read),
// so what stays resident is what the daemon uses while idle. It never touches memory the
// process wrote (data, heap, stacks), so nothing is lost.
//
// This is Linux's counterpart of trimming a working set on Windows, where the shared image
// pages are not counted as the process's private memory in the first place.
package memtrim

// Region is one mapping of the program's file that Trim may unmap.
type Region struct {
	Start, End uintptr
	Perms      string // as /proc/self/maps says them: "r-xp", "r--p"
}

// Size is the region's length in bytes.
func (r Region) Size() uintptr { return r.End - r.Start }
