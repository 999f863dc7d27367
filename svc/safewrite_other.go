//go:build !unix

package svc

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// On Windows only administrators (and developers in Developer Mode) may create symbolic links,
// and install writes a user's files as that user: a temporary file created with O_EXCL in the
// file's directory and renamed over it suffices.

func (d safeDir) write(path string, data []byte, perm fs.FileMode) error {
	if _, _, err := d.split(path); err != nil {
		return err
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("creating %s: %w", dir, err)
	}
	tmp, err := os.CreateTemp(dir, ".spotwatch-*")
	if err != nil {
		return fmt.Errorf("creating a temporary file beside %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	_, err = tmp.Write(data)
	if err == nil {
		err = tmp.Chmod(perm)
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}

func (d safeDir) read(path string) ([]byte, error) {
	if _, _, err := d.split(path); err != nil {
		return nil, err
	}
	return os.ReadFile(path)
}

func (d safeDir) remove(path string) error {
	if _, _, err := d.split(path); err != nil {
		return err
	}
	return os.Remove(path)
}
