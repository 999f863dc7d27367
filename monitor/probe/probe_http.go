package probe

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"time"

	"github.com/spotwatch/spotwatch/internal/config"
	"github.com/spotwatch/spotwatch/internal/failure"
	"github.com/spotwatch/spotwatch/monitor/diagnosis"
)

// httpClient returns a client for one check: dials through the check's resolver, follows no
// redirects, keeps no connection alive, and uses the environment's proxy for plain HTTP the way
// a browser would.
func httpClient(path *netPath, proxyFunc func(*url.URL) (*url.URL, error)) *http.Client {
	return &http.Client{
		Transport: &http.Transport{
			Proxy: func(r *http.Request) (*url.URL, error) { return proxyFunc(r.URL) },
			DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
				host, port, err := net.SplitHostPort(addr)
				if err != nil {
					return nil, err
				}
				addrs, err := path.lookup(ctx, host)
				if err != nil {
					return nil, err
				}
				ips := pickAddrs(addrs, true)
				if len(ips) == 0 {
					return nil, atStep(failure.StepDNS, fmt.Errorf("%s resolves to no usable address: %w", host, errBogon))
				}
				return path.dial(ctx, net.JoinHostPort(ips[0], port))
			},
			DisableKeepAlives:      true,
			MaxResponseHeaderBytes: headerCap,
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// envProxyFunc is the environment's proxy rule for plain-HTTP requests, as browsers and curl
// read it: HTTP_PROXY (or http_proxy) unless NO_PROXY exempts the host. Loopback hosts are never
// proxied. (Written here rather than taken from golang.org/x/net/http/httpproxy, whose second
// copy of the IDNA tables would cost half a megabyte of binary for this one rule.)
func envProxyFunc(getenv func(string) string) func(*url.URL) (*url.URL, error) {
	get := func(upper string) string {
		if v := getenv(upper); v != "" {
			return v
		}
		return getenv(strings.ToLower(upper))
	}
	proxy, noProxy := get("HTTP_PROXY"), get("NO_PROXY")
	return func(u *url.URL) (*url.URL, error) {
		if proxy == "" || u.Scheme != "http" || exemptFromProxy(u.Hostname(), noProxy) {
			return nil, nil
		}
		px, err := url.Parse(normaliseProxyURL(proxy, "http"))
		if err != nil || px.Host == "" {
			return nil, fmt.Errorf("HTTP_PROXY %q is not a proxy URL", proxy)
		}
		return px, nil
	}
}

// exemptFromProxy applies NO_PROXY: "*", host names (matching the name and its subdomains, with
// or without a leading dot), IP addresses and CIDR prefixes; loopback is always exempt.
func exemptFromProxy(host, noProxy string) bool {
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	ip, ipErr := netip.ParseAddr(host)
	if host == "localhost" || (ipErr == nil && ip.IsLoopback()) {
		return true
	}
	for _, entry := range strings.Split(noProxy, ",") {
		entry = strings.ToLower(strings.TrimSpace(entry))
		if h, _, err := net.SplitHostPort(entry); err == nil {
			entry = h
		}
		switch {
		case entry == "":
		case entry == "*":
			return true
		case ipErr == nil && strings.Contains(entry, "/"):
			if pfx, err := netip.ParsePrefix(entry); err == nil && pfx.Contains(ip) {
				return true
			}
		default:
			entry = strings.TrimPrefix(entry, ".")
			if host == entry || strings.HasSuffix(host, "."+entry) {
				return true
			}
		}
	}
	return false
}

// probePortalReference fetches a plain-HTTP connectivity reference (generate_204 and the like).
// An answer other than the expected one, from a server that did answer, is a captive portal's.
func probePortalReference(ctx context.Context, client *http.Client, ref config.HTTPReference, pc *pace) diagnosis.Probe {
	p := diagnosis.Probe{Name: "http " + ref.URL, Kind: diagnosis.KindHTTP, Role: diagnosis.RoleReference, Target: ref.URL}
	timed(&p, func() error {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, ref.URL, nil)
		if err != nil {
			return fmt.Errorf("building GET %s: %w", ref.URL, err)
		}
		req.Header.Set("User-Agent", userAgent())
		start := time.Now()
		resp, err := client.Do(req)
		if err != nil {
			var ue *url.Error
			if errors.As(err, &ue) {
				err = ue.Err
			}
			return fmt.Errorf("GET %s: %w", ref.URL, err)
		}
		defer resp.Body.Close()
		// Any answer times the link: a connect and a request are two round trips (a lookup
		// before them only makes the estimate, and so the budget, more generous).
		pc.observeRTT(time.Since(start) / 2)
		body, bodyErr := readBody(resp.Body)
		p.Detail.Status, p.Detail.Location = resp.StatusCode, resp.Header.Get("Location")
		switch {
		case isTooLarge(bodyErr):
			return atStep(failure.StepHTTP, fmt.Errorf("GET %s: %w", ref.URL, bodyErr))
		case ref.Status != 0 && resp.StatusCode != ref.Status:
			return atStep(failure.StepHTTP, &failure.HTTPStatusError{Status: resp.StatusCode})
		case ref.Status == 0 && (resp.StatusCode < 200 || resp.StatusCode > 299):
			return atStep(failure.StepHTTP, &failure.HTTPStatusError{Status: resp.StatusCode})
		case ref.Body != "" && !strings.Contains(string(body), ref.Body):
			return atStep(failure.StepHTTP, &failure.UnexpectedBodyError{Want: ref.Body})
		}
		return nil
	})
	return p
}
