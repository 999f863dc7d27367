package history

import (
	"bytes"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
	"testing"

	"github.com/spotwatch/spotwatch/internal/testutil"
)

// FuzzRead checks that Read never panics, that its damage regions are in order, inside the
// file and apart, and that the bytes outside them are exactly the lines of the records it
// returned, each with a matching CRC-32C (checked here independently of the parser), and that
// the records it returns survive a write and a second Read. Seeds: testdata/fuzz/FuzzRead.
// Run with
//
//	go test -fuzz FuzzRead ./internal/history
func FuzzRead(f *testing.F) {
	var clean []byte
	for i := range 3 {
		line, err := frame(rec(i))
		if err != nil {
			f.Fatal(err)
		}
		clean = append(clean, line...)
	}
	f.Add(clean)
	f.Add(clean[:len(clean)-7])
	f.Add([]byte{})
	dir := testutil.TempDir(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(dir, "history.log")
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		got, damage, err := Read(path, nil)
		if err != nil {
			t.Fatal(err)
		}
		var good []byte // the bytes no damage region covers
		pos := int64(0)
		for _, d := range damage {
			if d.Offset < pos || d.Length <= 0 || d.Offset+d.Length > int64(len(data)) || d.Reason == "" {
				t.Fatalf("damage %v out of order or out of the %d bytes (previous ends at %d)", d, len(data), pos)
			}
			if d.Offset == pos && pos > 0 {
				t.Fatalf("damage %v touches the previous region: should be one", d)
			}
			good = append(good, data[pos:d.Offset]...)
			pos = d.Offset + d.Length
		}
		good = append(good, data[pos:]...)

		lines := bytes.SplitAfter(good, []byte("\n"))
		if len(lines[len(lines)-1]) == 0 {
			lines = lines[:len(lines)-1]
		}
		if len(lines) != len(got) {
			t.Fatalf("%d records returned, but %d lines outside the damage", len(got), len(lines))
		}
		for i, line := range lines {
			var sum uint32
			var n int
			var js []byte
			if _, err := fmt.Sscanf(string(line), "%08x %d ", &sum, &n); err != nil || !bytes.HasSuffix(line, []byte("\n")) {
				t.Fatalf("record %d came from the line %q (%v)", i, line, err)
			}
			js = line[len(line)-1-n : len(line)-1]
			if crc32.Checksum(js, crc32.MakeTable(crc32.Castagnoli)) != sum {
				t.Fatalf("record %d came from a line whose CRC does not match: %q", i, line)
			}
			var r Record
			if err := json.Unmarshal(js, &r); err != nil || !sameRecord(r, got[i]) {
				t.Fatalf("record %d is %+v, its line %q (%v)", i, got[i], line, err)
			}
		}

		// Last decodes from the end and must agree with Read.
		for _, n := range []int{0, 1, 2, 5, len(got), len(got) + 1} {
			tail := got[len(got)-min(n, len(got)):]
			last := lastRecords(data, n)
			if len(last) != len(tail) {
				t.Fatalf("lastRecords(%d) = %+v, want %+v", n, last, tail)
			}
			for i := range last {
				if !sameRecord(last[i], tail[i]) {
					t.Fatalf("lastRecords(%d) = %+v, want %+v", n, last, tail)
				}
			}
		}

		// What Read returns can be written and read back unchanged.
		var again []byte
		for _, r := range got {
			line, err := frame(r)
			if err != nil {
				return // e.g. a time JSON can parse but not format
			}
			again = append(again, line...)
		}
		if err := os.WriteFile(path, again, 0o600); err != nil {
			t.Fatal(err)
		}
		back, damage, err := Read(path, nil)
		if err != nil || len(damage) != 0 {
			t.Fatalf("re-read: %v %v", damage, err)
		}
		checkRecords(t, back, got)
	})
}
