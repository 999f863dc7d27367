package probe

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"
	"github.com/spotwatch/spotwatch/internal/failure"
)

// TestProbeVersionBind asks real loopback DNS servers for version.bind: the answer is kept, cut to
// versionBindCap and cleaned of terminal escapes; a server that refuses or stays silent is a
// failed control probe with nothing named.
func TestProbeVersionBind(t *testing.T) {
	// A TXT record holds strings of up to 255 bytes each; a hostile server sends several.
	hostile := []string{"dnsmasq-2.90\x1b[2J\u202e", strings.Repeat("A", 150), strings.Repeat("A", 150)}
	tests := []struct {
		name        string
		answer      func(w dns.ResponseWriter, r *dns.Msg) // nil: never answers
		ok          bool
		software    string
		failure     string
		mustNotHold string
	}{
		{"dnsmasq", txtAnswer("dnsmasq-2.90"), true, "dnsmasq-2.90", "", ""},
		{"unbound", txtAnswer("unbound 1.17.1"), true, "unbound 1.17.1", "", ""},
		{"hostile text", txtAnswer(hostile...), true, "dnsmasq-2.90", "", "\x1b"},
		{"refused", func(w dns.ResponseWriter, r *dns.Msg) {
			m := new(dns.Msg)
			m.SetRcode(r, dns.RcodeRefused)
			_ = w.WriteMsg(m)
		}, false, "", failure.DNSNoData, ""},
		{"silent", nil, false, "", failure.DNSTimeout, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			server := startTestDNS(t, tt.answer)
			p := cleanProbe(probeVersionBind(context.Background(), server, 300*time.Millisecond))
			if p.OK != tt.ok || p.Failure != tt.failure {
				t.Fatalf("ok %v failure %q, want %v %q (%+v)", p.OK, p.Failure, tt.ok, tt.failure, p)
			}
			if !strings.HasPrefix(p.Detail.Software, tt.software) || (tt.software == "" && p.Detail.Software != "") {
				t.Errorf("software %q, want %q", p.Detail.Software, tt.software)
			}
			if len(p.Detail.Software) > versionBindCap {
				t.Errorf("software is %d bytes, more than %d", len(p.Detail.Software), versionBindCap)
			}
			if tt.mustNotHold != "" && strings.Contains(p.Detail.Software, tt.mustNotHold) {
				t.Errorf("software %q still holds %q", p.Detail.Software, tt.mustNotHold)
			}
		})
	}
}

// txtAnswer answers version.bind (CHAOS TXT) with text, and anything else with REFUSED.
func txtAnswer(text ...string) func(dns.ResponseWriter, *dns.Msg) {
	return func(w dns.ResponseWriter, r *dns.Msg) {
		m := new(dns.Msg)
		q := r.Question[0]
		if q.Name != "version.bind." || q.Qtype != dns.TypeTXT || q.Qclass != dns.ClassCHAOS {
			m.SetRcode(r, dns.RcodeRefused)
			_ = w.WriteMsg(m)
			return
		}
		m.SetReply(r)
		m.Answer = []dns.RR{&dns.TXT{Hdr: dns.RR_Header{Name: q.Name, Rrtype: dns.TypeTXT, Class: dns.ClassCHAOS}, Txt: text}}
		_ = w.WriteMsg(m)
	}
}

// startTestDNS serves answer on a loopback UDP port until the test ends; a nil answer reads
// queries and never answers.
func startTestDNS(t *testing.T, answer func(dns.ResponseWriter, *dns.Msg)) string {
	t.Helper()
	pc, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if answer == nil {
		answer = func(dns.ResponseWriter, *dns.Msg) {}
	}
	started := make(chan struct{})
	srv := &dns.Server{PacketConn: pc, Handler: dns.HandlerFunc(answer), NotifyStartedFunc: func() { close(started) }}
	go func() { _ = srv.ActivateAndServe() }()
	<-started
	t.Cleanup(func() { _ = srv.Shutdown() })
	return pc.LocalAddr().String()
}
