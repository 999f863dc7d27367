package probe

import (
	"bytes"
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"time"

	"github.com/miekg/dns"
	"github.com/spotwatch/spotwatch/internal/failure"
	"github.com/spotwatch/spotwatch/monitor/diagnosis"
)

// probeDoH asks a public DNS-over-HTTPS resolver (RFC 8484, reached by IP) for each name: the
// control for what the system resolver says about Spotify. The queries share one TLS session.
func probeDoH(ctx context.Context, path *netPath, tr trust, server string, names []string) []diagnosis.Probe {
	transport := &http.Transport{
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			return path.dial(ctx, addr)
		},
		TLSClientConfig:        &tls.Config{RootCAs: tr.system, CurvePreferences: probeCurves},
		MaxIdleConnsPerHost:    1,
		ForceAttemptHTTP2:      false,
		MaxResponseHeaderBytes: headerCap,
	}
	defer transport.CloseIdleConnections()
	client := &http.Client{Transport: transport, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	var probes []diagnosis.Probe
	for _, name := range names {
		p := diagnosis.Probe{Name: "doh " + name + " (" + server + ")", Kind: diagnosis.KindDoH, Role: diagnosis.RoleControl, Target: name, Detail: diagnosis.Detail{Resolver: server}}
		timed(&p, func() error { return dohQuery(ctx, client, server, name, &p) })
		probes = append(probes, p)
		if !p.OK && p.Detail.RCode == "" {
			break // the resolver itself is unreachable: asking again would only wait again
		}
	}
	return probes
}

func dohQuery(ctx context.Context, client *http.Client, server, name string, p *diagnosis.Probe) error {
	msg := new(dns.Msg)
	msg.SetQuestion(dns.Fqdn(name), dns.TypeA)
	msg.Id = 0 // RFC 8484 §4.1: cache-friendly
	wire, err := msg.Pack()
	if err != nil {
		return fmt.Errorf("packing a DNS query for %s: %w", name, err)
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, server, bytes.NewReader(wire))
	if err != nil {
		return fmt.Errorf("building the DoH request to %s: %w", server, err)
	}
	req.Header.Set("Content-Type", "application/dns-message")
	req.Header.Set("Accept", "application/dns-message")
	resp, err := client.Do(req)
	if err != nil {
		var ue *url.Error
		if asURLError(err, &ue) {
			err = ue.Err
		}
		return fmt.Errorf("asking %s for %s: %w", server, name, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return atStep(failure.StepHTTP, &failure.HTTPStatusError{Status: resp.StatusCode})
	}
	body, err := readBody(resp.Body)
	if err != nil {
		return fmt.Errorf("reading the DoH answer from %s: %w", server, err)
	}
	answer := new(dns.Msg)
	if err := answer.Unpack(body); err != nil {
		return fmt.Errorf("parsing the DoH answer from %s: %w", server, err)
	}
	return readDNSAnswer(p, name, answer)
}

func asURLError(err error, target **url.Error) bool {
	ue, ok := err.(*url.Error)
	if ok {
		*target = ue
	}
	return ok
}
