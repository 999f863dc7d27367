// Package appconn reads the Spotify app's own TCP connections from the operating system's TCP
// table, without sending anything: on Linux /proc/PID/fd's socket inodes matched against
// /proc/PID/net/tcp and tcp6, on Windows GetExtendedTcpTable's owning process ids matched
// against the processes named Spotify.exe. Connections of the app that stall in SYN-SENT while
// spotwatch's own probes to the same servers connect are direct evidence that a rule blocks the
// app rather than the network.
//
// Refused connections do not stay in the table, so they cannot be counted from it; a stall can.
// On Linux a reset takes the socket out of /proc/net/tcp at once, even while the program still
// holds it (TestRefusedLeavesNoTrace), and before that it is in SYN-SENT for one round trip only:
// snapshots taken twice, or a hundred times, within a check would still miss nearly all of them.
package appconn

import (
	"net/netip"
	"path"
	"slices"
	"strings"

	"github.com/spotwatch/spotwatch/monitor/diagnosis"
)

// MaxRemotes is how many stalled connections' addresses a snapshot lists at most.
const MaxRemotes = 5

// Matches reports whether a process name or executable path is the Spotify app's: the base
// name, without ".exe" or Linux's " (deleted)" (an exe replaced by an update), is "spotify" in
// any case. That covers the comm of the deb and the tarball, /usr/share/spotify/spotify, the
// Flatpak's /app/extra/share/spotify/spotify, the snap's /snap/spotify/N/usr/share/spotify/spotify
// and Windows' Spotify.exe. Other programs with Spotify in their name (spotifyd, spotify-tui's
// spt, SpotifyWebHelper.exe) are not the app.
func Matches(name string) bool {
	name = strings.TrimSuffix(name, " (deleted)")
	name = strings.ReplaceAll(name, `\`, "/")
	if strings.HasSuffix(name, "/") {
		return false // a folder, not a program
	}
	base := path.Base(name)
	if len(base) > 4 && strings.EqualFold(base[len(base)-4:], ".exe") {
		base = base[:len(base)-4]
	}
	return strings.EqualFold(base, "spotify")
}

// counter adds up connections by state.
type counter struct {
	established int
	stalled     int
	remotes     []netip.AddrPort
}

func (c *counter) add(state connState, remote netip.AddrPort) {
	switch state {
	case stateEstablished:
		c.established++
	case stateSynSent:
		c.stalled++
		if !slices.Contains(c.remotes, remote) {
			c.remotes = append(c.remotes, remote)
		}
	}
}

// result fills the counts into a; the remotes are sorted, unique and at most MaxRemotes.
func (c *counter) result(a *diagnosis.AppConnections) {
	a.Established = c.established
	a.Stalled = c.stalled
	slices.SortFunc(c.remotes, func(x, y netip.AddrPort) int { return x.Compare(y) })
	for i, r := range c.remotes {
		if i == MaxRemotes {
			break
		}
		a.Remotes = append(a.Remotes, r.String())
	}
}

// connState is a TCP state, in the table's own code (Linux and Windows number them differently).
type connState int

const (
	stateOther connState = iota
	stateEstablished
	stateSynSent
)
