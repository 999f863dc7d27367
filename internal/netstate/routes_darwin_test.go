package netstate

import (
	"testing"

	"golang.org/x/sys/unix"
)

// TestRouteFlags checks the flag values rib.go copies from <net/route.h> against x/sys/unix.
func TestRouteFlags(t *testing.T) {
	for _, tt := range []struct {
		name      string
		got, want uint32
	}{
		{"RTF_UP", rtfUp, unix.RTF_UP},
		{"RTF_HOST", rtfHost, unix.RTF_HOST},
		{"RTF_REJECT", rtfReject, unix.RTF_REJECT},
		{"RTF_BLACKHOLE", rtfBlackhole, unix.RTF_BLACKHOLE},
		{"RTF_IFSCOPE", rtfIfScope, unix.RTF_IFSCOPE},
	} {
		if tt.got != tt.want {
			t.Errorf("%s = %#x, want %#x", tt.name, tt.got, tt.want)
		}
	}
}

// TestDefaultRoutesDarwin reads the real routing table: it must be readable.
func TestDefaultRoutesDarwin(t *testing.T) {
	routes, known, err := DefaultRoutes()
	if err != nil || !known {
		t.Fatalf("DefaultRoutes() = %v, %v, %v", routes, known, err)
	}
	t.Logf("default routes: %v", routes)
}
