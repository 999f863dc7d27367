package history

import (
	"os"
	"path/filepath"
	"testing"
)

// BenchmarkAppend measures a durable append (write + fsync) with the default bound, so the
// cost of the occasional compaction is included.
func BenchmarkAppend(b *testing.B) {
	s := open(b, filepath.Join(b.TempDir(), "history.log"), Options{})
	r := rec(7)
	line, err := frame(r)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(line)))
	for b.Loop() {
		if err := s.Append(r); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRead measures reading a full history file (DefaultMaxBytes, about 4000 records).
func BenchmarkRead(b *testing.B) {
	path := filepath.Join(b.TempDir(), "history.log")
	var data []byte
	n := 0
	for ; ; n++ {
		line, err := frame(rec(n))
		if err != nil {
			b.Fatal(err)
		}
		if len(data)+len(line) > DefaultMaxBytes {
			break
		}
		data = append(data, line...)
	}
	if err := os.WriteFile(path, data, 0o600); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		got, damage, err := Read(path, nil)
		if err != nil || len(damage) != 0 || len(got) != n {
			b.Fatalf("read %d records (want %d), damage %v, error %v", len(got), n, damage, err)
		}
	}
}
