package monitor

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/spotwatch/spotwatch/internal/config"
	"github.com/spotwatch/spotwatch/internal/failure"
	"golang.org/x/net/http/httpproxy"
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
					return nil, atStep("dns", fmt.Errorf("%s resolves to no usable address: %w", host, errBogon))
				}
				return path.dial(ctx, net.JoinHostPort(ips[0], port))
			},
			DisableKeepAlives:      true,
			MaxResponseHeaderBytes: 16 << 10,
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// envProxyFunc is the environment's proxy rule (HTTP_PROXY, HTTPS_PROXY, NO_PROXY).
func envProxyFunc(getenv func(string) string) func(*url.URL) (*url.URL, error) {
	get := func(upper string) string {
		if v := getenv(upper); v != "" {
			return v
		}
		return getenv(strings.ToLower(upper))
	}
	cfg := &httpproxy.Config{HTTPProxy: get("HTTP_PROXY"), HTTPSProxy: get("HTTPS_PROXY"), NoProxy: get("NO_PROXY")}
	return cfg.ProxyFunc()
}

// probePortalReference fetches a plain-HTTP connectivity reference (generate_204 and the like).
// An answer other than the expected one, from a server that did answer, is a captive portal's.
func probePortalReference(ctx context.Context, client *http.Client, ref config.HTTPReference, pc *pace) Probe {
	p := Probe{Name: "http " + ref.URL, Kind: KindHTTP, Role: RoleReference, Target: ref.URL}
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
		body, _ := io.ReadAll(io.LimitReader(resp.Body, bodyCap))
		p.Detail.Status, p.Detail.Location = resp.StatusCode, resp.Header.Get("Location")
		switch {
		case ref.Status != 0 && resp.StatusCode != ref.Status:
			return atStep("http", &failure.HTTPStatusError{Status: resp.StatusCode})
		case ref.Status == 0 && (resp.StatusCode < 200 || resp.StatusCode > 299):
			return atStep("http", &failure.HTTPStatusError{Status: resp.StatusCode})
		case ref.Body != "" && !strings.Contains(string(body), ref.Body):
			return atStep("http", &failure.UnexpectedBodyError{Want: ref.Body})
		}
		return nil
	})
	return p
}
