package probe

// The Spotify installation (diagnosis.AppInstall): where and how Spotify is installed (the deb,
// a tarball, the Flatpak, the snap, the desktop installer, the Microsoft Store, the macOS app),
// its version when a file says it cheaply, and what is broken: a prefs file that does not parse,
// a cache folder that cannot be written, a disk without room. Everything is read-only except the
// writability test, which creates and removes one empty file (O_EXCL) in the user's own cache
// folder, and only when spotwatch runs as that user. Text from files passes through
// safetext.Clean.

import (
	"bufio"
	"bytes"
	"cmp"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/spotwatch/spotwatch/internal/safetext"
	"github.com/spotwatch/spotwatch/monitor/diagnosis"
)

// minFreeBytes is the free space below which the disk holding Spotify's cache counts as full.
const minFreeBytes = 100 << 20

// installEnv is what readInstall reads: the machine's root ("" = /), the OS whose layout to
// look for, the environment, whether the user's folders are spotwatch's own to test, and the
// free-space reader.
type installEnv struct {
	root   string
	goos   string
	getenv func(string) string
	// asUser is true when spotwatch runs as the user whose folders these are: a system daemon
	// does not test another user's folders.
	asUser bool
	// free returns the bytes free for the user on the disk holding path.
	free func(path string) (uint64, error)
}

// installCandidate is one way Spotify may be installed.
type installCandidate struct {
	kind    string
	path    string // the program or package, as the OS names it
	isDir   bool   // path is a directory (an app bundle, a package folder)
	version func(env installEnv) string
	prefs   string // the user's prefs file of this installation
	cache   string // the user's cache (storage) folder of this installation
}

// installCandidates lists the installations to look for on goos, in the order they are tried.
// Paths are those of the OS ("" parts of a missing environment variable leave the candidate out).
func installCandidates(goos string, getenv func(string) string) []installCandidate {
	home := getenv("HOME")
	var out []installCandidate
	switch goos {
	case "windows":
		appdata, local := getenv("APPDATA"), getenv("LOCALAPPDATA")
		if appdata != "" {
			out = append(out, installCandidate{kind: "desktop", path: winJoin(appdata, `Spotify\Spotify.exe`),
				prefs: winJoin(appdata, `Spotify\prefs`), cache: winJoin(cmp.Or(local, appdata), `Spotify\Storage`)})
		}
		if local != "" {
			pkg := winJoin(local, `Packages\SpotifyAB.SpotifyMusic_zpdnekdrzrea0`)
			out = append(out, installCandidate{kind: "Microsoft Store", path: pkg, isDir: true,
				prefs: winJoin(pkg, `LocalState\Spotify\prefs`), cache: winJoin(pkg, `LocalCache\Spotify\Data`)})
		}
	case "darwin":
		app := func(path string) installCandidate {
			c := installCandidate{kind: "app", path: path, isDir: true, version: plistVersion(path + "/Contents/Info.plist")}
			if home != "" {
				c.prefs = home + "/Library/Application Support/Spotify/prefs"
				c.cache = home + "/Library/Caches/com.spotify.client"
			}
			return c
		}
		out = append(out, app("/Applications/Spotify.app"))
		if home != "" {
			out = append(out, app(home+"/Applications/Spotify.app"))
		}
	default:
		user := func(c installCandidate, prefs, cache string) installCandidate {
			if home != "" {
				c.prefs, c.cache = home+"/"+prefs, home+"/"+cache
			}
			return c
		}
		out = append(out,
			user(installCandidate{kind: "deb", path: "/usr/share/spotify/spotify"},
				".config/spotify/prefs", ".cache/spotify"),
			user(installCandidate{kind: "tarball", path: "/opt/spotify/spotify"}, ".config/spotify/prefs", ".cache/spotify"),
			// Other distributions' packages (Fedora's lpf-spotify-client, Arch's AUR) start it from /usr/bin.
			user(installCandidate{kind: "package", path: "/usr/bin/spotify"}, ".config/spotify/prefs", ".cache/spotify"),
			user(installCandidate{kind: "Flatpak", path: "/var/lib/flatpak/app/com.spotify.Client/current/active", isDir: true,
				version: flatpakVersion("/var/lib/flatpak/app/com.spotify.Client/current/active")},
				".var/app/com.spotify.Client/config/spotify/prefs", ".var/app/com.spotify.Client/cache/spotify"))
		if home != "" {
			active := home + "/.local/share/flatpak/app/com.spotify.Client/current/active"
			out = append(out, user(installCandidate{kind: "Flatpak", path: active, isDir: true, version: flatpakVersion(active)},
				".var/app/com.spotify.Client/config/spotify/prefs", ".var/app/com.spotify.Client/cache/spotify"))
		}
		out = append(out, user(installCandidate{kind: "snap", path: "/snap/spotify/current", isDir: true, version: snapVersion},
			"snap/spotify/current/.config/spotify/prefs", "snap/spotify/common/.cache/spotify"))
	}
	return out
}

// readInstall finds the first installation of Spotify and what is wrong with it. When there is
// none it says so, with the places searched, if the search covered the user's own folders
// (userSearch); otherwise it returns nil: whether Spotify is installed is not known.
func readInstall(env installEnv) *diagnosis.AppInstall {
	candidates := installCandidates(env.goos, env.getenv)
	for _, c := range candidates {
		fi, err := os.Stat(hostPath(env.root, c.path))
		if err != nil || fi.IsDir() != c.isDir {
			continue
		}
		in := &diagnosis.AppInstall{Installed: true, Kind: c.kind, Path: safetext.Clean(c.path)}
		if c.kind == "deb" {
			// One read of dpkg's database answers both: is it the package, and which version.
			if stanza := debStanza(env); stanza != nil && strings.HasSuffix(stanza["Status"], " installed") {
				in.Version = safetext.Clean(debVersion(stanza))
			} else {
				in.Kind = "tarball"
			}
		} else if c.version != nil {
			in.Version = safetext.Clean(c.version(env))
		}
		if env.asUser {
			in.Problems = installProblems(env, c)
		}
		return in
	}
	if !userSearch(env) {
		return nil
	}
	in := &diagnosis.AppInstall{Installed: false}
	for _, c := range candidates {
		in.Searched = append(in.Searched, safetext.Clean(c.path))
	}
	return in
}

// userSearch reports whether the installation candidates covered the folders of a person
// using this computer: spotwatch runs as the owner of the home folder, and that folder is a
// person's (/home/…, /Users/…, C:\Users\…), not a service account's (/var/lib/spotwatch, /root,
// Windows' systemprofile), whose per-user installs (the desktop installer, a Flatpak --user,
// ~/Applications) would be someone else's.
func userSearch(env installEnv) bool {
	if !env.asUser {
		return false
	}
	switch env.goos {
	case "windows":
		appdata, local := env.getenv("APPDATA"), env.getenv("LOCALAPPDATA")
		isUsers := func(p string) bool { return strings.Contains(strings.ToLower(p), `:\users\`) }
		return isUsers(appdata) && isUsers(local)
	case "darwin":
		return strings.HasPrefix(env.getenv("HOME"), "/Users/")
	}
	return strings.HasPrefix(env.getenv("HOME"), "/home/")
}

// installProblems: the prefs file does not parse, the cache folder is not writable, the disk
// holding it is full.
func installProblems(env installEnv, c installCandidate) []string {
	var out []string
	if c.prefs != "" {
		data, err := readSmall(hostPath(env.root, c.prefs))
		if err == nil {
			if line, ok := prefsParse(data); !ok {
				out = append(out, fmt.Sprintf("the prefs file %s does not parse (line %d)", safetext.Clean(c.prefs), line))
			}
		} else if !errors.Is(err, fs.ErrNotExist) {
			out = append(out, fmt.Sprintf("the prefs file %s cannot be read", safetext.Clean(c.prefs)))
		}
	}
	if c.cache == "" {
		return out
	}
	cache := hostPath(env.root, c.cache)
	if fi, err := os.Stat(cache); err == nil && fi.IsDir() {
		if !writable(cache) {
			out = append(out, "the cache folder "+safetext.Clean(c.cache)+" is not writable")
		}
	} else if err == nil {
		out = append(out, "the cache folder "+safetext.Clean(c.cache)+" is a file, not a folder")
	}
	if env.free != nil {
		if free, err := env.free(existingAncestor(cache)); err == nil && free < minFreeBytes {
			out = append(out, fmt.Sprintf("the disk holding %s has only %d MB free", safetext.Clean(c.cache), free>>20))
		}
	}
	return out
}

// existingAncestor is path or the nearest folder above it that exists.
func existingAncestor(path string) string {
	for {
		if _, err := os.Stat(path); err == nil {
			return path
		}
		parent := filepath.Dir(path)
		if parent == path {
			return path
		}
		path = parent
	}
}

// prefsParse reports whether data reads as a Spotify prefs file — `key=value` lines, a quoted
// value closed by its quote, text only — and else the first line that does not.
func prefsParse(data []byte) (int, bool) {
	if !utf8.Valid(data) || bytes.IndexByte(data, 0) >= 0 {
		return 1 + bytes.Count(data[:firstBad(data)], []byte("\n")), false
	}
	for i, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		key, value, ok := strings.Cut(line, "=")
		if !ok || !prefsKey.MatchString(key) {
			return i + 1, false
		}
		if !closedQuote(value) {
			return i + 1, false
		}
		if strings.ContainsFunc(value, func(r rune) bool { return r < 0x20 && r != '\t' }) {
			return i + 1, false
		}
	}
	return 0, true
}

var prefsKey = regexp.MustCompile(`^[A-Za-z0-9_.\-]+$`)

// firstBad is the offset of the first NUL or invalid UTF-8 byte in data.
func firstBad(data []byte) int {
	for i := 0; i < len(data); {
		r, n := utf8.DecodeRune(data[i:])
		if r == 0 || (r == utf8.RuneError && n <= 1) {
			return i
		}
		i += n
	}
	return len(data)
}

// dpkgStatus is dpkg's database of installed packages.
const dpkgStatus = "/var/lib/dpkg/status"

// dpkgStatusLimit bounds what is read of dpkg's status file (a few MB on a desktop).
const dpkgStatusLimit = 64 << 20

// debStanza returns the spotify-client stanza of dpkg's status file, nil if there is none.
func debStanza(env installEnv) map[string]string {
	f, err := os.Open(hostPath(env.root, dpkgStatus))
	if err != nil {
		return nil
	}
	defer f.Close()
	sc := bufio.NewScanner(io.LimitReader(f, dpkgStatusLimit))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	var stanza map[string]string
	for sc.Scan() {
		line := sc.Text()
		if line == "" {
			if stanza != nil {
				return stanza
			}
			continue
		}
		key, value, ok := strings.Cut(line, ":")
		if !ok || strings.HasPrefix(line, " ") {
			continue
		}
		value = strings.TrimSpace(value)
		if key == "Package" {
			stanza = nil
			if value == "spotify-client" {
				stanza = map[string]string{}
			}
		}
		if stanza != nil {
			stanza[key] = value
		}
	}
	return stanza
}

// debVersion is the version in spotify-client's dpkg stanza, without its epoch.
func debVersion(stanza map[string]string) string {
	v := stanza["Version"]
	if _, after, ok := strings.Cut(v, ":"); ok {
		v = after
	}
	return v
}

// snapVersion is the version: line of the spotify snap's meta/snap.yaml.
func snapVersion(env installEnv) string {
	data, err := readSmall(hostPath(env.root, "/snap/spotify/current/meta/snap.yaml"))
	if err != nil {
		return ""
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "version:"); ok {
			return strings.Trim(strings.TrimSpace(v), `'"`)
		}
	}
	return ""
}

var releaseVersion = regexp.MustCompile(`<release[^>]*\sversion="([^"]+)"`)

// flatpakVersion reads the newest release in the Flatpak's AppStream metainfo.
func flatpakVersion(active string) func(installEnv) string {
	return func(env installEnv) string {
		for _, f := range []string{"files/share/metainfo/com.spotify.Client.metainfo.xml", "files/share/appdata/com.spotify.Client.appdata.xml"} {
			data, err := readSmall(hostPath(env.root, active+"/"+f))
			if err != nil {
				continue
			}
			if m := releaseVersion.FindSubmatch(data); m != nil {
				return string(m[1])
			}
		}
		return ""
	}
}

// plistVersion reads CFBundleShortVersionString from an app's Info.plist (XML).
func plistVersion(plist string) func(installEnv) string {
	return func(env installEnv) string {
		data, err := readSmall(hostPath(env.root, plist))
		if err != nil {
			return ""
		}
		return plistString(data, "CFBundleShortVersionString")
	}
}

// plistString returns the <string> that follows <key>key</key> at the top of an XML plist's
// dictionary.
func plistString(data []byte, key string) string {
	d := xml.NewDecoder(bytes.NewReader(data))
	d.Strict = false
	var last, text string
	wantNext := false
	for {
		tok, err := d.Token()
		if err != nil {
			return ""
		}
		switch t := tok.(type) {
		case xml.StartElement:
			text = ""
			if wantNext && t.Name.Local != "string" {
				return ""
			}
		case xml.CharData:
			text += string(t)
		case xml.EndElement:
			last = t.Name.Local
			switch {
			case wantNext && last == "string":
				return strings.TrimSpace(text)
			case last == "key":
				wantNext = strings.TrimSpace(text) == key
			}
		}
	}
}

// winJoin joins Windows path parts.
func winJoin(dir, rest string) string {
	return strings.TrimRight(dir, `\/`) + `\` + rest
}

// hostPath is an OS path under root: with a root (tests), a Windows path's backslashes become
// slashes and its drive "C:" the folder "C".
func hostPath(root, p string) string {
	if root == "" {
		return p
	}
	p = strings.ReplaceAll(p, `\`, "/")
	if len(p) >= 2 && p[1] == ':' {
		p = p[:1] + p[2:]
	}
	return filepath.Join(root, filepath.FromSlash(p))
}

// closedQuote: a value that opens a quote closes it, with a quote that is not escaped.
func closedQuote(value string) bool {
	if !strings.HasPrefix(value, `"`) {
		return true
	}
	inner, ok := strings.CutSuffix(value[1:], `"`)
	if !ok {
		return false
	}
	return (len(inner)-len(strings.TrimRight(inner, `\`)))%2 == 0
}
