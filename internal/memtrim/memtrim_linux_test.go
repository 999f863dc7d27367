//go:build linux

package memtrim

import (
	"strconv"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

func TestParseMaps(t *testing.T) {
	dev := unix.Mkdev(0xfd, 0x01)
	const maps = `00400000-00ad3000 r-xp 00000000 fd:01 1234                       /usr/bin/spotwatch
00ad3000-01252000 r--p 006d3000 fd:01 1234                       /usr/bin/spotwatch
01252000-012df000 rw-p 00e52000 fd:01 1234                       /usr/bin/spotwatch
012df000-03324000 rw-p 00000000 00:00 0
01400000-01500000 r--s 00000000 fd:01 1234                       /usr/bin/spotwatch
02400000-02500000 r--p 00000000 fd:02 1234                       /other/disk/same-inode
7f11d023f000-7f11d029f000 r--p 00000000 fd:01 999                /usr/lib/locale/C.utf8/LC_CTYPE
7ffc70717000-7ffc70738000 rw-p 00000000 00:00 0                  [stack]
`
	tests := []struct {
		name string
		maps string
		want []Region
		err  bool
	}{
		{"code and read-only data of the program only", maps, []Region{
			{0x400000, 0xad3000, "r-xp"}, {0xad3000, 0x1252000, "r--p"},
		}, false},
		{"the program replaced on disk while it runs", "00400000-00ad3000 r-xp 00000000 fd:01 1234 /usr/bin/spotwatch (deleted)\n",
			[]Region{{0x400000, 0xad3000, "r-xp"}}, false},
		{"nothing of the program", "7ffc70717000-7ffc70738000 rw-p 00000000 00:00 0 [stack]\n", nil, false},
		{"a short line", "00400000-00ad3000 r-xp\n", nil, true},
		{"a bad range", "00ad3000-00400000 r-xp 00000000 fd:01 1234 /usr/bin/spotwatch\n", nil, true},
		{"not hex", "zz-00400000 r-xp 00000000 fd:01 1234 /usr/bin/spotwatch\n", nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseMaps([]byte(tt.maps), dev, 1234)
			if (err != nil) != tt.err {
				t.Fatalf("err = %v, want an error: %v", err, tt.err)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("regions = %+v, want %+v", got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Errorf("region %d = %+v, want %+v", i, got[i], tt.want[i])
				}
			}
		})
	}
}

// TestTrimLowersResidentFilePages trims this test binary's own code and read-only data and
// checks that those mappings' resident pages went down, and that the program still runs.
func TestTrimLowersResidentFilePages(t *testing.T) {
	regions, err := Regions()
	if err != nil {
		t.Fatal(err)
	}
	if len(regions) < 2 {
		t.Fatalf("found %d regions of the test binary, want its code and read-only data: %+v", len(regions), regions)
	}
	var size uintptr
	for _, r := range regions {
		size += r.Size()
	}
	// smaps is read raw around the trim and parsed after: the parsing would map code again.
	beforeRaw, afterRaw := make([]byte, 1<<20), make([]byte, 1<<20)
	beforeRaw = readRaw(t, "/proc/self/smaps", beforeRaw)
	n, err := Trim()
	afterRaw = readRaw(t, "/proc/self/smaps", afterRaw)
	if err != nil {
		t.Fatal(err)
	}
	if n != size {
		t.Errorf("Trim advised %d bytes, want the regions' %d", n, size)
	}
	before, after := residentKB(t, beforeRaw, regions), residentKB(t, afterRaw, regions)
	if after >= before/2 {
		t.Errorf("resident pages of the binary %d kB → %d kB: want at least half gone", before, after)
	}
	t.Logf("resident pages of the binary %d kB → %d kB (%d kB mapped)", before, after, size>>10)
	// The code still runs, mapped again from the page cache.
	if s := strconv.Itoa(len(strings.Repeat("x", 12))); s != "12" {
		t.Fatalf("after the trim: %q", s)
	}
}

// readRaw reads a whole /proc file into buf with bare system calls, which map little code.
func readRaw(t *testing.T, path string, buf []byte) []byte {
	fd, err := syscall.Open(path, syscall.O_RDONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer syscall.Close(fd)
	n := 0
	for n < len(buf) {
		m, err := syscall.Read(fd, buf[n:])
		if err != nil {
			t.Fatal(err)
		}
		if m == 0 {
			return buf[:n]
		}
		n += m
	}
	t.Fatalf("%s: larger than %d bytes", path, len(buf))
	return nil
}

// residentKB sums smaps' Rss of the mappings that start where the regions start.
func residentKB(t *testing.T, smaps []byte, regions []Region) int {
	t.Helper()
	starts := map[uintptr]bool{}
	for _, r := range regions {
		starts[r.Start] = true
	}
	total, in := 0, false
	for _, line := range strings.Split(string(smaps), "\n") {
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		if lo, _, ok := strings.Cut(f[0], "-"); ok && len(f) >= 5 {
			start, err := strconv.ParseUint(lo, 16, 64)
			in = err == nil && starts[uintptr(start)]
			continue
		}
		if in && f[0] == "Rss:" {
			kb, err := strconv.Atoi(f[1])
			if err != nil {
				t.Fatal(err)
			}
			total += kb
		}
	}
	return total
}
