package monitor

import (
	"bytes"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/miekg/dns"
)

// evilText is the terminal-escape attack: a title change, a screen clear and a fake red line.
const evilText = "Evil\x1b]0;TITLE\x07\x1b[2J\x1b[31;1mFAKE"

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// FuzzReadAnswer feeds arbitrary bytes to the HTTP reader of the HTTPS probes, the plain answer
// on a TLS port and the proxy's CONNECT answer. Whatever the bytes: no panic, no more than the
// caps read from the connection (which bounds memory), a body within bodyCap, headers within
// headerCap, and a block-page match that is "" or a known filter.
func FuzzReadAnswer(f *testing.F) {
	f.Add([]byte("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"))
	f.Add([]byte("HTTP/1.1 302 Found\r\nLocation: http://fortiguard.example/block\r\n\r\n"))
	f.Add([]byte("HTTP/1.1 200 OK\r\nX-Evil: " + strings.Repeat("a", 1<<20) + "\r\n\r\n"))
	f.Add([]byte("HTTP/1.1 200 " + strings.Repeat("a", 1<<20)))
	f.Add([]byte("HTTP/1.1 200 OK\r\nX-Evil: " + evilText + "\r\nLocation: " + evilText + "\r\n\r\n" + evilText))
	f.Add([]byte("HTTP/1.1 200 OK\r\nX-Ctl: \x00\x01\x7f\x9b\r\n\r\n\x00\x1b"))
	f.Add([]byte("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10000000\r\n" + strings.Repeat("b", bodyCap+10)))
	f.Add([]byte("HTTP/1.1 200 OK\r\nContent-Length: 99999999999\r\n\r\n" + strings.Repeat("b", bodyCap+10)))
	req := &http.Request{Method: http.MethodGet, URL: &url.URL{Scheme: "https", Host: "api.spotify.com", Path: "/"}}
	filters := knownFilters()
	f.Fuzz(func(t *testing.T, data []byte) {
		src := &countingReader{r: bytes.NewReader(data)}
		resp, body, err := readAnswer(src, req)
		if src.n > headerCap+bodyCap+framingCap {
			t.Fatalf("read %d bytes, over the caps (%d)", src.n, headerCap+bodyCap+framingCap)
		}
		if len(body) > bodyCap {
			t.Fatalf("kept %d body bytes, over bodyCap", len(body))
		}
		if err == nil && resp == nil {
			t.Fatal("no error and no answer")
		}
		if resp == nil {
			return
		}
		size := 0
		for k, vs := range resp.Header {
			for _, v := range vs {
				size += len(k) + len(v)
			}
		}
		if size > headerCap {
			t.Fatalf("%d bytes of headers, over headerCap", size)
		}
		if bp := matchBlockPage(resp.Header, body); bp != "" && !slices.Contains(filters, bp) {
			t.Fatalf("block page %q is no known filter", bp)
		}
	})
}

// FuzzMatchBlockPage: a captive portal's or a filter's page, however odd, matches at most a
// known filter's name, never echoes page text.
func FuzzMatchBlockPage(f *testing.F) {
	f.Add("http://block.opendns.com/?url=x", "", "<html>blocked</html>")
	f.Add(evilText, evilText, evilText)
	f.Add("", "nextdns", "FortiGuard Web Filtering")
	f.Add("\x00\r\n", "\x1b[2J", strings.Repeat("\x1b", 4096))
	filters := knownFilters()
	f.Fuzz(func(t *testing.T, location, blockedBy, body string) {
		h := http.Header{}
		h.Set("Location", location)
		h.Set("Blocked-By", blockedBy)
		if bp := matchBlockPage(h, []byte(body)); bp != "" && !slices.Contains(filters, bp) {
			t.Fatalf("block page %q is no known filter", bp)
		}
	})
}

func knownFilters() []string {
	var out []string
	for _, p := range products() {
		if len(p.pages) > 0 {
			out = append(out, p.name)
		}
	}
	return out
}

// FuzzParseAccessPoints feeds arbitrary bodies to the apresolve parser: what it returns goes
// into the report and is dialled, so every entry must be a clean host:port, and there are at
// most maxListedAccessPoints of them.
func FuzzParseAccessPoints(f *testing.F) {
	f.Add([]byte(`{"accesspoint":["ap-gae2.spotify.com:4070","ap-gae2.spotify.com:443","ap-gew1.spotify.com:80"]}`))
	f.Add([]byte(`{"accesspoint":["` + strings.NewReplacer("\x1b", `\u001b`, "\x07", `\u0007`).Replace(evilText) + `:443","[2600:1901::1]:4070"]}`))
	f.Add([]byte(`{"accesspoint":["\u0000:1","a:99999","b:-1",":443","host:","x y:80"]}`))
	f.Add([]byte(`{"accesspoint":[` + strings.Repeat(`"a.b:1",`, 10000) + `"a.b:2"]}`))
	f.Add([]byte(`{"accesspoint":"` + strings.Repeat("a", 1<<16) + `"}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		aps := parseAccessPoints(body)
		if len(aps) > maxListedAccessPoints {
			t.Fatalf("%d access points, over %d", len(aps), maxListedAccessPoints)
		}
		for _, ap := range aps {
			if !cleanAccessPoint(ap) {
				t.Fatalf("access point %q is not a clean host:port", ap)
			}
			host, port, err := net.SplitHostPort(ap)
			if err != nil || host == "" || port == "" {
				t.Fatalf("access point %q does not split: %v", ap, err)
			}
			for _, r := range ap {
				if r < 0x21 || r > 0x7e {
					t.Fatalf("access point %q has the character %q", ap, r)
				}
			}
		}
		if len(chooseAccessPoints(aps)) > maxAccessPoints {
			t.Fatal("chose more than maxAccessPoints")
		}
	})
}

// FuzzReadDNSAnswer feeds arbitrary DNS messages (as a direct query or DoH gets them) to the
// answer reader: no panic, addresses that are addresses, no more of them than answer records,
// and an RCODE that is a known name.
func FuzzReadDNSAnswer(f *testing.F) {
	for _, build := range []func(*dns.Msg){
		func(m *dns.Msg) {
			m.Answer = append(m.Answer, &dns.A{Hdr: dns.RR_Header{Name: "api.spotify.com.", Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: 60}, A: net.IPv4(0, 0, 0, 0)})
		},
		func(m *dns.Msg) { m.Rcode = dns.RcodeNameError },
		func(m *dns.Msg) { m.Rcode = 12 }, // an unassigned RCODE
		func(m *dns.Msg) {
			m.Answer = append(m.Answer, &dns.TXT{Hdr: dns.RR_Header{Name: "api.spotify.com.", Rrtype: dns.TypeTXT, Class: dns.ClassINET}, Txt: []string{evilText}})
			m.Answer = append(m.Answer, &dns.CNAME{Hdr: dns.RR_Header{Name: "api.spotify.com.", Rrtype: dns.TypeCNAME, Class: dns.ClassINET}, Target: "evil\\027]0;x.example."})
		},
	} {
		m := new(dns.Msg)
		m.SetQuestion("api.spotify.com.", dns.TypeA)
		build(m)
		wire, err := m.Pack()
		if err != nil {
			f.Fatalf("packing a seed: %v", err)
		}
		f.Add(wire)
	}
	f.Fuzz(func(t *testing.T, wire []byte) {
		m := new(dns.Msg)
		if m.Unpack(wire) != nil {
			return
		}
		var p Probe
		err := readDNSAnswer(&p, "api.spotify.com", m)
		if len(p.Detail.Addrs) > len(m.Answer) {
			t.Fatalf("%d addresses from %d answer records", len(p.Detail.Addrs), len(m.Answer))
		}
		for _, a := range p.Detail.Addrs {
			if _, perr := netip.ParseAddr(a); perr != nil {
				t.Fatalf("address %q does not parse: %v", a, perr)
			}
		}
		if p.Detail.RCode != "" && !slices.Contains(rcodeNames(), p.Detail.RCode) {
			t.Fatalf("RCODE %q is no known name", p.Detail.RCode)
		}
		if err == nil && len(p.Detail.Addrs) == 0 {
			t.Fatal("an answer without addresses was taken as good")
		}
		if err != nil && failureOf(err) == "" {
			t.Fatalf("error %v has no failure string", err)
		}
	})
}

func rcodeNames() []string {
	var out []string
	for _, s := range dns.RcodeToString {
		out = append(out, s)
	}
	return out
}
