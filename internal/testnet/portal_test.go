package testnet_test

import (
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/spotwatch/spotwatch/internal/testnet"
)

func TestReferenceAndPortalHandlers(t *testing.T) {
	const login = "http://portal.example/login?next=1"
	tests := []struct {
		name     string
		handler  http.Handler
		url      string
		status   int
		body     string // exact, or "~fragment"
		location string
	}{
		{"generate_204", testnet.ReferenceHandler(), "http://connectivitycheck.gstatic.com/generate_204", 204, "", ""},
		{"connecttest", testnet.ReferenceHandler(), "http://www.msftconnecttest.com/connecttest.txt", 200, "Microsoft Connect Test", ""},
		{"hotspot-detect", testnet.ReferenceHandler(), "http://captive.apple.com/hotspot-detect.html", 200, "<HTML><HEAD><TITLE>Success</TITLE></HEAD><BODY>Success</BODY></HTML>", ""},
		{"reference unknown path", testnet.ReferenceHandler(), "http://captive.apple.com/other", 404, "~not found", ""},
		{"portal 302", testnet.PortalHandler(login), "http://connectivitycheck.gstatic.com/generate_204", 302, "~portal.example/login?next=1", login},
		{"portal 302 any path", testnet.PortalHandler(login), "http://captive.apple.com/hotspot-detect.html", 302, "~Sign in", login},
		{"portal 511", testnet.PortalHandler511(login), "http://www.msftconnecttest.com/connecttest.txt", 511, "~url=http://portal.example/login?next=1", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			s, err := testnet.StartHTTP(ln, tt.handler)
			if err != nil {
				t.Fatal(err)
			}
			closeLater(t, s)
			resp, body := get(t, pinnedClient(nil, s.Addr()), tt.url)
			if resp.StatusCode != tt.status {
				t.Errorf("status = %d, want %d", resp.StatusCode, tt.status)
			}
			if frag, ok := strings.CutPrefix(tt.body, "~"); ok {
				if !strings.Contains(body, frag) {
					t.Errorf("body %q lacks %q", body, frag)
				}
			} else if body != tt.body {
				t.Errorf("body = %q, want %q", body, tt.body)
			}
			if got := resp.Header.Get("Location"); got != tt.location {
				t.Errorf("Location = %q, want %q", got, tt.location)
			}
		})
	}
}
