// Package boundedread reads small local files that another user or program may have written
// (a security product's rules, a cache file) without trusting their size: a read stops at a
// limit, and a larger file is an error rather than a truncated answer.
package boundedread

import (
	"fmt"
	"io"
	"os"
)

// File reads the file at path, which must hold at most limit bytes.
func File(path string, limit int) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, int64(limit)+1))
	if err != nil {
		return nil, err
	}
	if len(b) > limit {
		return nil, fmt.Errorf("%s: larger than %d bytes", path, limit)
	}
	return b, nil
}
