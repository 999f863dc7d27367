package svc

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// errLink is wrapped when a directory on the way to a file install writes is a symbolic link.
var errLink = errors.New("is a symbolic link, which install does not follow")

// fileOwner is who the files and directories a safeDir creates belong to; UID -1 keeps this
// process's user.
type fileOwner struct{ UID, GID int }

// safeDir writes, reads and removes files below Root without following a symbolic link on the
// way: root writing into a user's home (sudo spotwatch install) must not be led by a link the
// user planted to overwrite, read or delete a file of root's. Root itself is trusted (a home
// from the user database, a system directory); every directory below it is opened with
// O_NOFOLLOW, created (mode 0755, given to Owner) where missing, and refused when it is a link.
// A file is written to a temporary file created with O_EXCL|O_NOFOLLOW in its directory, given
// to Owner, and renamed over the file: a link at the file's path is replaced, never followed.
type safeDir struct {
	Root  string
	Owner fileOwner
}

// userDir is the safeDir for a file of the tray's user. Under sudo it is rooted at their home:
// no link of theirs below it is followed, and what is created is given to them. A user writing
// their own files follows their own links (a dotfiles manager's ~/.config, say) like any
// program of theirs: the safeDir is rooted at the nearest directory that exists.
func userDir(t Tray, path string) safeDir {
	if t.UID >= 0 && t.UID != os.Geteuid() {
		return safeDir{Root: t.Home, Owner: fileOwner{UID: t.UID, GID: t.GID}}
	}
	return systemDir(path)
}

// systemDir is the safeDir of a file written by and for this process's user: the nearest
// directory above it that exists is the root.
func systemDir(path string) safeDir {
	return safeDir{Root: existingParent(filepath.Dir(path)), Owner: fileOwner{UID: -1, GID: -1}}
}

// existingParent is dir or its nearest parent that exists.
func existingParent(dir string) string {
	for {
		if _, err := os.Stat(dir); err == nil || filepath.Dir(dir) == dir {
			return dir
		}
		dir = filepath.Dir(dir)
	}
}

// rel splits path into the directories below Root and the file's name; ok is false when path
// is not below Root.
func (d safeDir) rel(path string) (dirs []string, ok bool) {
	r, err := filepath.Rel(filepath.Clean(d.Root), filepath.Clean(path))
	if err != nil || r == "." || r == ".." || strings.HasPrefix(r, ".."+string(filepath.Separator)) || filepath.IsAbs(r) {
		return nil, false
	}
	return strings.Split(r, string(filepath.Separator)), true
}

// split is rel that fails with an error saying what was refused.
func (d safeDir) split(path string) ([]string, string, error) {
	parts, ok := d.rel(path)
	if !ok {
		return nil, "", fmt.Errorf("%s is not in %s: refusing to write it for its user", path, d.Root)
	}
	return parts[:len(parts)-1], parts[len(parts)-1], nil
}

// sameFile reports whether path is a regular file (not a link) holding exactly data.
func (d safeDir) sameFile(path string, data []byte) bool {
	old, err := d.read(path)
	return err == nil && string(old) == string(data)
}

// removeFile removes path (a link is removed, not what it points to); a missing file is
// fs.ErrNotExist.
func (d safeDir) removeFile(path string) error {
	if err := d.remove(path); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return err
		}
		return fmt.Errorf("removing %s: %w", path, err)
	}
	return nil
}
