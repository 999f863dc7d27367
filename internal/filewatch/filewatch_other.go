//go:build !linux

package filewatch

import "context"

// Watch is not implemented on this OS: it returns ErrUnsupported, and the caller polls.
func Watch(ctx context.Context, path string) (<-chan struct{}, error) {
	return nil, ErrUnsupported
}

// Opens is not implemented on this OS: it returns ErrUnsupported, and the caller polls.
func Opens(ctx context.Context, files []string) (<-chan struct{}, error) {
	return nil, ErrUnsupported
}
