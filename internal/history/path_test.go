package history

import (
	"path/filepath"
	"testing"
)

func TestDefaultPath(t *testing.T) {
	tests := []struct {
		name    string
		goos    string
		system  bool
		env     map[string]string
		want    string
		wantErr bool
	}{
		{"linux user, XDG_STATE_HOME", "linux", false, map[string]string{"XDG_STATE_HOME": "/x/state", "HOME": "/home/u"},
			"/x/state/spotwatch/history.log", false},
		{"linux user, relative XDG_STATE_HOME ignored", "linux", false, map[string]string{"XDG_STATE_HOME": "state", "HOME": "/home/u"},
			"/home/u/.local/state/spotwatch/history.log", false},
		{"linux user, no XDG", "linux", false, map[string]string{"HOME": "/home/u"},
			"/home/u/.local/state/spotwatch/history.log", false},
		{"freebsd user", "freebsd", false, map[string]string{"HOME": "/home/u"},
			"/home/u/.local/state/spotwatch/history.log", false},
		{"linux user, no HOME", "linux", false, nil, "", true},
		{"linux system", "linux", true, map[string]string{"XDG_STATE_HOME": "/x/state"},
			"/var/lib/spotwatch/history.log", false},
		{"macOS user", "darwin", false, map[string]string{"XDG_STATE_HOME": "/x/state", "HOME": "/Users/u"},
			"/Users/u/Library/Application Support/spotwatch/history.log", false},
		{"macOS system", "darwin", true, nil,
			"/Library/Application Support/spotwatch/history.log", false},
		{"windows user", "windows", false, map[string]string{"LocalAppData": `C:\Users\u\AppData\Local`},
			`C:\Users\u\AppData\Local\spotwatch\history.log`, false},
		{"windows user, LocalAppData with a trailing backslash", "windows", false, map[string]string{"LocalAppData": `E:\`},
			`E:\spotwatch\history.log`, false},
		{"windows user, no LocalAppData", "windows", false, map[string]string{"HOME": "/home/u"}, "", true},
		{"windows system", "windows", true, map[string]string{"ProgramData": `D:\ProgramData`},
			`D:\ProgramData\spotwatch\history.log`, false},
		{"windows system, no ProgramData", "windows", true, nil,
			`C:\ProgramData\spotwatch\history.log`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := defaultPath(tt.goos, tt.system, func(k string) string { return tt.env[k] })
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Fatalf("defaultPath = %q, %v; want %q (error %v)", got, err, tt.want, tt.wantErr)
			}
		})
	}
	if p, err := DefaultPath(false); err != nil || !filepath.IsAbs(p) {
		t.Errorf("DefaultPath(false) = %q, %v", p, err)
	}
}
