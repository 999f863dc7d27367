package probe

import (
	"os"
	"slices"
	"sync"

	"github.com/spotwatch/spotwatch/monitor/diagnosis"
)

// hostsCache keeps the hosts file's Spotify entries from one check to the next. A full check
// reads the file whole and keeps what it found; a light check reads it again only when the file
// is another one, or its size or modification time changed since: one stat a minute instead of
// a read of the whole file, which for an ad-blocking hosts file is hundreds of thousands of
// lines. An edit that keeps the size within the file system's timestamp granularity would go
// unseen until the next full check; an editor's or a tool's save is never that quick twice.
// On Windows os.SameFile looks the path up again, so a file renamed over the hosts file with the
// same size and modification time is seen only at the next full check (under wine,
// TestHostsCacheRereadsOnlyAChangedFile's rename case fails for that reason; it is not in the
// wine run).
type hostsCache struct {
	mu      sync.Mutex
	path    string
	info    os.FileInfo // of the read that found entries; nil = nothing kept
	entries []diagnosis.HostsEntry
}

// read scans the file at path and keeps its entries for readIfChanged.
func (h *hostsCache) read(path string, isSpotify func(string) bool) ([]diagnosis.HostsEntry, error) {
	info, statErr := os.Stat(path)
	entries, err := scanHosts(path, isSpotify)
	h.mu.Lock()
	defer h.mu.Unlock()
	h.path, h.info, h.entries = path, nil, nil
	if err == nil && statErr == nil {
		h.info, h.entries = info, entries
	}
	return slices.Clone(entries), err
}

// readIfChanged returns the entries read last when the file at path is still the one read,
// with the same size and modification time; otherwise it reads it again.
func (h *hostsCache) readIfChanged(path string, isSpotify func(string) bool) ([]diagnosis.HostsEntry, error) {
	info, err := os.Stat(path)
	if err == nil {
		h.mu.Lock()
		same := h.info != nil && h.path == path && os.SameFile(h.info, info) &&
			h.info.Size() == info.Size() && h.info.ModTime().Equal(info.ModTime())
		entries := slices.Clone(h.entries)
		h.mu.Unlock()
		if same {
			return entries, nil
		}
	}
	return h.read(path, isSpotify)
}
