package probe

import (
	"crypto/x509"
	"testing"
	"time"

	"github.com/spotwatch/spotwatch/monitor/diagnosis"
)

// TestJudgedChains: a verdict is recalled for the same host and leaf while the whole chain is
// valid, and never for another host, another leaf or an expired chain.
func TestJudgedChains(t *testing.T) {
	now := time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC)
	leaf := &x509.Certificate{Raw: []byte("leaf"), NotAfter: now.Add(90 * 24 * time.Hour)}
	inter := &x509.Certificate{Raw: []byte("intermediate"), NotAfter: now.Add(time.Hour)}
	yes := true
	judged := diagnosis.Detail{Issuer: "R3", Chain: []string{"CN=api.spotify.com", "CN=R3"}, SystemTrust: &yes, PublicTrust: &yes}
	j := newJudgedChains()
	j.remember(judged, "api.spotify.com", []*x509.Certificate{leaf, inter})

	tests := []struct {
		name  string
		host  string
		chain []*x509.Certificate
		at    time.Time
		want  bool
	}{
		{"same host and chain", "api.spotify.com", []*x509.Certificate{leaf, inter}, now, true},
		{"another host", "spclient.wg.spotify.com", []*x509.Certificate{leaf, inter}, now, false},
		{"another leaf", "api.spotify.com", []*x509.Certificate{{Raw: []byte("other"), NotAfter: leaf.NotAfter}}, now, false},
		{"the intermediate expired", "api.spotify.com", []*x509.Certificate{leaf, inter}, now.Add(2 * time.Hour), false},
		{"no chain", "api.spotify.com", nil, now, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var d diagnosis.Detail
			if got := j.recall(&d, tt.host, tt.chain, tt.at); got != tt.want {
				t.Fatalf("recall = %v, want %v", got, tt.want)
			}
			if tt.want && (d.Issuer != "R3" || len(d.Chain) != 2 || d.PublicTrust == nil || !*d.PublicTrust) {
				t.Errorf("recalled detail %+v, want the judged one", d)
			}
		})
	}
	for i := range judgedChainsMax + 1 {
		j.remember(judged, "host", []*x509.Certificate{{Raw: []byte{byte(i)}, NotAfter: leaf.NotAfter}})
	}
	if len(j.verdict) > judgedChainsMax {
		t.Errorf("%d verdicts kept, want at most %d", len(j.verdict), judgedChainsMax)
	}
}
