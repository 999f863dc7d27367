// Package macfw finds what on macOS may keep the Spotify app itself off the network: LuLu's
// rules against Spotify, where spotwatch can read them (as root), and which application
// firewalls are installed (LuLu, Little Snitch), to name in the fix when their rules cannot be
// read. Little Snitch keeps its rules in /Library/Little Snitch/configuration*.xpl, binary and
// encrypted since version 5, so only its presence is reported.
//
// Everything here is OS-independent and reads a machine laid out under a root folder, so the
// tests run on Linux with recorded files; monitor/probe calls Read on macOS only.
package macfw

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"howett.net/plist"

	"github.com/spotwatch/spotwatch/internal/boundedread"
	"github.com/spotwatch/spotwatch/monitor/diagnosis"
)

// LittleSnitchProduct is Little Snitch's name in the fix.
const LittleSnitchProduct = "Little Snitch"

// Where each product shows that it is installed: its app, its support folder, or its network
// system extension, which macOS keeps in /Library/SystemExtensions/<UUID>/<bundle id>.systemextension.
var products = []struct {
	name      string
	paths     []string
	extension string
}{
	{LuLuProduct, []string{"/Applications/LuLu.app", LuLuDir}, "com.objective-see.lulu.extension.systemextension"},
	{LittleSnitchProduct, []string{"/Applications/Little Snitch.app", "/Library/Little Snitch"}, "at.obdev.littlesnitch.networkextension.systemextension"},
}

// systemExtensions is where macOS keeps the installed system extensions.
const systemExtensions = "/Library/SystemExtensions"

// maxFile bounds what is read of one file: LuLu's rules are a few hundred KB at most.
const maxFile = 8 << 20

// Result is what Read found.
type Result struct {
	Rules      []diagnosis.AppRule // LuLu's rules that block Spotify (texts not yet cleaned)
	Installed  []string            // the application firewalls installed: "LuLu", "Little Snitch"
	Unreadable []string            // rule files that exist but spotwatch may not read (not root)
}

// Read looks under root ("" = /) for the application firewalls installed and reads LuLu's
// rules against Spotify (the current profile's, if one is chosen), at time now. A rules file
// spotwatch may not read is listed in Unreadable, not an error: LuLu keeps it for root only. An
// error is a file that exists but cannot be parsed or read for another reason.
func Read(root string, now time.Time) (Result, error) {
	var r Result
	for _, p := range products {
		if installed(root, p.paths, p.extension) {
			r.Installed = append(r.Installed, p.name)
		}
	}
	rulesFile, err := luluRulesFile(root)
	if err != nil {
		return r, err
	}
	data, err := readFile(rooted(root, rulesFile))
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return r, nil
	case errors.Is(err, fs.ErrPermission):
		r.Unreadable = append(r.Unreadable, rulesFile)
		return r, nil
	case err != nil:
		return r, fmt.Errorf("reading LuLu's rules %s: %w", rulesFile, err)
	}
	r.Rules, err = ParseLuLuRules(data, rulesFile, now)
	if err != nil {
		return r, fmt.Errorf("%s: %w", rulesFile, err)
	}
	return r, nil
}

// luluRulesFile is the rules file LuLu uses: its current profile's, when the preferences name a
// profile folder under LuLu's Profiles, else the default one.
func luluRulesFile(root string) (string, error) {
	data, err := readFile(rooted(root, LuLuPrefs))
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) || errors.Is(err, fs.ErrPermission) {
			return LuLuRules, nil
		}
		return "", fmt.Errorf("reading LuLu's preferences %s: %w", LuLuPrefs, err)
	}
	var prefs map[string]any
	if _, err := plist.Unmarshal(data, &prefs); err != nil {
		return "", fmt.Errorf("reading LuLu's preferences %s: not a property list: %w", LuLuPrefs, err)
	}
	profile, _ := prefs["currentProfile"].(string)
	profile = filepath.ToSlash(filepath.Clean(profile))
	if profile == "." || !strings.HasPrefix(profile, LuLuDir+"/Profiles/") {
		return LuLuRules, nil
	}
	return profile + "/rules.plist", nil
}

// installed: one of paths exists under root, or the system extension named ext is installed.
func installed(root string, paths []string, ext string) bool {
	for _, p := range paths {
		if _, err := os.Stat(rooted(root, p)); err == nil {
			return true
		}
	}
	found, _ := filepath.Glob(filepath.Join(rooted(root, systemExtensions), "*", ext))
	return len(found) > 0
}

// rooted is path under root ("" = /).
func rooted(root, path string) string {
	if root == "" {
		return path
	}
	return filepath.Join(root, filepath.FromSlash(path))
}

// readFile reads a file of at most maxFile bytes.
func readFile(path string) ([]byte, error) {
	return boundedread.File(path, maxFile)
}
