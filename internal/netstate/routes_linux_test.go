package netstate

import (
	"fmt"
	"strings"
	"testing"
)

func TestParseRoutes(t *testing.T) {
	tests := []struct {
		name  string
		line  string
		parse func([]string) (Route, bool)
		want  string
	}{
		{"ipv4 default", "eth0\t00000000\t0102000A\t0003\t0\t0\t0\t00000000\t0\t0\t0", parseRouteV4, "{ipv4 eth0 10.0.2.1} true"},
		{"ipv4 not default", "eth0\t0002000A\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0", parseRouteV4, "{  } false"},
		{"ipv4 default down", "wg0\t00000000\t00000000\t0000\t0\t0\t0\t00000000\t0\t0\t0", parseRouteV4, "{  } false"},
		{"ipv6 default", "00000000000000000000000000000000 00 00000000000000000000000000000000 00 fd000000000000000000000000000001 00000400 00000002 00000000 00000003 eth0", parseRouteV6, "{ipv6 eth0 fd00::1} true"},
		{"ipv6 unreachable default", "00000000000000000000000000000000 00 00000000000000000000000000000000 00 00000000000000000000000000000000 ffffffff 00000001 00000000 00200200 lo", parseRouteV6, "{  } false"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, ok := tt.parse(strings.Fields(tt.line))
			if got := fmt.Sprint(r, " ", ok); got != tt.want {
				t.Errorf("got %s, want %s", got, tt.want)
			}
		})
	}
}
