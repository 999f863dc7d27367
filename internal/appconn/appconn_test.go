package appconn

import (
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/spotwatch/spotwatch/monitor/diagnosis"
)

func TestMatches(t *testing.T) {
	for _, tc := range []struct {
		name string
		want bool
	}{
		{"spotify", true},
		{"Spotify", true},
		{"/usr/share/spotify/spotify", true},
		{"/usr/share/spotify/spotify (deleted)", true},       // replaced by an update while running
		{"/app/extra/share/spotify/spotify", true},           // Flatpak, as its exe link reads
		{"/snap/spotify/81/usr/share/spotify/spotify", true}, // snap
		{"/opt/spotify/spotify", true},                       // tarball / AUR
		{"Spotify.exe", true},
		{"SPOTIFY.EXE", true},
		{`C:\Users\a\AppData\Roaming\Spotify\Spotify.exe`, true},
		{`C:\Program Files\WindowsApps\SpotifyAB.SpotifyMusic_1.2.3.4_x64__zpdnekdrzrea0\Spotify.exe`, true},
		{"", false},
		{".", false},
		{"spotifyd", false},
		{"spotify-launcher", false},
		{"/usr/bin/spotwatch", false},
		{"SpotifyWebHelper.exe", false},
		{"spt", false},
		{"/usr/share/spotify/", false},
		{"spotify.exe.bak", false},
		{"flatpak", false},
	} {
		if got := Matches(tc.name); got != tc.want {
			t.Errorf("Matches(%q) = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestParseProcAddr(t *testing.T) {
	for _, tc := range []struct {
		in, want string
	}{
		{"0100007F:0FE6", "127.0.0.1:4070"},
		{"0245C37F:01BB", "127.195.69.2:443"},
		{"00000000:0000", "0.0.0.0:0"},
		{"00000000000000000000000001000000:0FE6", "[::1]:4070"},
		{"B80D0120000000000000000001000000:01BB", "[2001:db8::1]:443"},
		{"0000000000000000FFFF000004030201:1151", "1.2.3.4:4433"}, // IPv4-mapped: shown as IPv4
	} {
		got, err := parseProcAddr(tc.in)
		if err != nil || got.String() != tc.want {
			t.Errorf("parseProcAddr(%q) = %v, %v; want %s", tc.in, got, err, tc.want)
		}
	}
	for _, bad := range []string{"", "0FE6", "0100007F0FE6", "0100007F:XYZW", "01007F:0FE6", "zz00007F:0FE6", "0100007F:10000"} {
		if got, err := parseProcAddr(bad); err == nil {
			t.Errorf("parseProcAddr(%q) = %v, want an error", bad, got)
		}
	}
}

func TestParseProcTCP(t *testing.T) {
	client := map[uint64]bool{1804685: true, 1804687: true, 1804689: true, 1804690: true}
	for _, tc := range []struct {
		file   string
		inodes map[uint64]bool
		est    int
		stall  int
		remote []string
	}{
		{"tcp", client, 1, 1, []string{"127.0.0.1:4070"}},
		{"tcp6", client, 1, 1, []string{"[::1]:4070"}},
		{"tcp", map[uint64]bool{1804686: true, 1804683: true}, 1, 0, nil}, // the server's side and the listener
		{"tcp", nil, 0, 0, nil},
	} {
		f, err := os.Open(filepath.Join("testdata", tc.file))
		if err != nil {
			t.Fatal(err)
		}
		var c counter
		err = parseProcTCP(f, tc.inodes, &c, nil)
		f.Close()
		if err != nil {
			t.Fatalf("%s: %v", tc.file, err)
		}
		var a diagnosis.AppConnections
		c.result(&a)
		if a.Established != tc.est || a.Stalled != tc.stall || !slices.Equal(a.Remotes, tc.remote) {
			t.Errorf("%s %v: got %+v, want established %d, stalled %d, remotes %v", tc.file, tc.inodes, a, tc.est, tc.stall, tc.remote)
		}
	}
}

func TestCounterRemotes(t *testing.T) {
	var c counter
	for _, s := range []string{"10.0.0.9:443", "10.0.0.1:4070", "10.0.0.9:443", "[2001:db8::1]:443", "10.0.0.3:80", "10.0.0.2:80", "10.0.0.4:80", "10.0.0.5:80"} {
		c.add(stateSynSent, netip.MustParseAddrPort(s))
	}
	c.add(stateEstablished, netip.AddrPort{})
	c.add(stateOther, netip.AddrPort{})
	var a diagnosis.AppConnections
	c.result(&a)
	want := []string{"10.0.0.1:4070", "10.0.0.2:80", "10.0.0.3:80", "10.0.0.4:80", "10.0.0.5:80"}
	if a.Stalled != 8 || a.Established != 1 || !slices.Equal(a.Remotes, want) {
		t.Errorf("got %+v, want stalled 8, established 1, remotes %v", a, want)
	}
}
