//go:build unix

package statusapi

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"syscall"
)

// verifySocket checks, before a client connects, that the socket at path is the daemon's: a
// socket (not a symlink), in a directory others cannot write to (or a sticky one, where they
// cannot replace our files), and owned, with its directory, by
//   - this user or root, or
//   - a service account whose directory root made for it: the directory's parent belongs to root
//     and only root may write there (/run/spotwatch, given to the system daemon's account).
//
// It returns the socket's owner. A missing socket is an fs.ErrNotExist error.
func verifySocket(path string) (int, error) {
	me := os.Getuid()
	trusted := func(uid int) bool { return uid == me || uid == 0 }
	info, err := os.Lstat(path)
	if err != nil {
		return 0, fmt.Errorf("checking the socket: %w", err)
	}
	sockUID := ownerOf(info)
	if info.Mode().Type() != fs.ModeSocket {
		return 0, &UntrustedSocketError{Path: path, Owner: sockUID, Reason: fmt.Sprintf("it is not a socket but %s", describeType(info.Mode()))}
	}
	dir := filepath.Dir(path)
	dinfo, err := os.Stat(dir)
	if err != nil {
		return 0, fmt.Errorf("checking the socket's directory: %w", err)
	}
	dirUID := ownerOf(dinfo)
	if m := dinfo.Mode(); m.Perm()&0o022 != 0 && m&os.ModeSticky == 0 {
		return 0, &UntrustedSocketError{Path: path, Owner: dirUID, Reason: fmt.Sprintf("others may write to its directory %s (mode %v)", dir, m.Perm())}
	}
	switch {
	case trusted(sockUID) && trusted(dirUID):
		return sockUID, nil
	case sockUID == dirUID && dinfo.Mode().Perm()&0o022 == 0 && rootOnly(filepath.Dir(dir)):
		return sockUID, nil
	}
	owner, what := sockUID, "it"
	if trusted(sockUID) {
		owner, what = dirUID, "its directory "+dir
	}
	who := fmt.Sprintf("you (uid %d) or root", me)
	if me == 0 {
		who = "root"
	}
	return 0, &UntrustedSocketError{Path: path, Owner: owner, Reason: fmt.Sprintf("%s belongs to uid %d, not to %s nor to a service account of a directory only root may create", what, owner, who)}
}

// rootOnly reports whether dir belongs to root and nobody else may write to it.
func rootOnly(dir string) bool {
	info, err := os.Stat(dir)
	return err == nil && info.IsDir() && ownerOf(info) == 0 && info.Mode().Perm()&0o022 == 0
}

// verifyPeer checks, once connected, that the process serving the socket runs as this user,
// root, or the socket's (already verified) owner. Where the OS cannot tell the peer (other
// Unix than Linux and macOS), the file checks of verifySocket stand alone.
func verifyPeer(path string, conn net.Conn, sockUID int) error {
	uid, err := osPeers{}.PeerUID(conn)
	switch {
	case errors.Is(err, errors.ErrUnsupported):
		return nil
	case err != nil:
		return fmt.Errorf("checking who serves %s: %w", path, err)
	case uid == os.Getuid() || uid == 0 || uid == sockUID:
		return nil
	}
	return &UntrustedSocketError{Path: path, Owner: uid, Reason: fmt.Sprintf("the process answering on it runs as uid %d", uid)}
}

// claimPrivateDir makes dir (and its missing parents) with mode 0700 and proves it is this
// user's own: a directory, not a symlink, owned by this user, mode 0700. A directory someone
// else made first fails with an UntrustedSocketError, and the daemon looks elsewhere.
func claimPrivateDir(dir string) error {
	if err := os.MkdirAll(filepath.Dir(dir), 0o700); err != nil {
		return fmt.Errorf("creating the socket directory's parent: %w", err)
	}
	if err := os.Mkdir(dir, 0o700); err == nil {
		if err := os.Chmod(dir, 0o700); err != nil { // the umask may have taken bits away: set them
			return fmt.Errorf("setting the mode of the socket directory: %w", err)
		}
	} else if !errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("creating the socket directory: %w", err)
	}
	info, err := os.Lstat(dir)
	if err != nil {
		return fmt.Errorf("checking the socket directory: %w", err)
	}
	owner, me := ownerOf(info), os.Getuid()
	switch {
	case info.Mode().Type() == fs.ModeSymlink:
		return &UntrustedSocketError{Path: dir, Owner: owner, Reason: "the directory is a symlink"}
	case !info.IsDir():
		return &UntrustedSocketError{Path: dir, Owner: owner, Reason: fmt.Sprintf("it is not a directory but %s", describeType(info.Mode()))}
	case owner != me:
		return &UntrustedSocketError{Path: dir, Owner: owner, Reason: fmt.Sprintf("the directory belongs to uid %d, not to uid %d", owner, me)}
	case info.Mode().Perm() != 0o700:
		return &UntrustedSocketError{Path: dir, Owner: owner, Reason: fmt.Sprintf("the directory has mode %v, not 0700", info.Mode().Perm())}
	}
	return nil
}

func ownerOf(info os.FileInfo) int {
	if st, ok := info.Sys().(*syscall.Stat_t); ok {
		return int(st.Uid)
	}
	return -1
}

func describeType(m os.FileMode) string {
	if m.Type() == fs.ModeSymlink {
		return "a symlink"
	}
	return describeMode(m)
}
