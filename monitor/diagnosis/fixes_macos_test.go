package diagnosis

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestMacFixTextsNameMacOS13: the macOS fix texts (their golden files, which TestFixGolden
// keeps equal to the code) name what macOS 13 and later show: System Settings (not System
// Preferences), its panes as the sidebar names them, the Trash (not the Bin).
func TestMacFixTextsNameMacOS13(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "fixes", "*_darwin.golden"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 10 {
		t.Fatalf("found %d macOS golden files: the test no longer finds them", len(files))
	}
	// The System Settings sidebar entries of macOS 13–15 the texts may send a user to.
	panes := map[string]bool{"General": true, "Network": true, "VPN": true, "Wi-Fi": true, "Privacy & Security": true}
	pane := regexp.MustCompile(`System Settings > ([A-Za-z&-]+(?: & [A-Za-z]+)?)`)
	outdated := []string{"System Preferences", "Network Preferences", "Security & Privacy", "the Bin", "Control Panel"}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		text := string(b)
		for _, old := range outdated {
			if strings.Contains(text, old) {
				t.Errorf("%s says %q: not what macOS 13 and later show", filepath.Base(f), old)
			}
		}
		for _, m := range pane.FindAllStringSubmatch(text, -1) {
			if !panes[m[1]] {
				t.Errorf("%s sends the user to System Settings > %s, which is no sidebar entry of macOS 13+", filepath.Base(f), m[1])
			}
		}
	}
}
