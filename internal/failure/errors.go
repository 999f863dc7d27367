package failure

import (
	"fmt"
	"net/http"
)

// HTTPStatusError is an HTTP answer whose status the probe did not expect. It classifies as
// "http_status_NNN". Return it as a pointer.
type HTTPStatusError struct {
	Status int
}

func (e *HTTPStatusError) Error() string {
	return "unexpected HTTP status " + statusText(e.Status)
}

// UnexpectedBodyError is an HTTP answer whose body lacks what the probe expected (a portal
// reference's "Success"). It classifies as http_unexpected_body. Return it as a pointer.
type UnexpectedBodyError struct {
	Want string // what the body should have contained
}

func (e *UnexpectedBodyError) Error() string {
	if e.Want == "" {
		return "unexpected HTTP body"
	}
	return fmt.Sprintf("unexpected HTTP body: want %q", e.Want)
}

// ProxyRefusedError is a proxy refusing to carry a request (a CONNECT answered with a non-2xx
// status). It classifies as proxy_refused. Return it as a pointer.
type ProxyRefusedError struct {
	Status int    // the proxy's HTTP status, 0 if it gave none
	Proxy  string // the proxy, as a URL or host:port
}

func (e *ProxyRefusedError) Error() string {
	proxy := "proxy"
	if e.Proxy != "" {
		proxy += " " + e.Proxy
	}
	if e.Status == 0 {
		return proxy + " refused the request"
	}
	return proxy + " refused the request with HTTP status " + statusText(e.Status)
}

// statusText is "403 Forbidden", or "299" for a status without a standard text.
func statusText(status int) string {
	if t := http.StatusText(status); t != "" {
		return fmt.Sprintf("%d %s", status, t)
	}
	return fmt.Sprint(status)
}

// ResponseTooLargeError is an answer that went past the bound a probe reads of it: the status
// line and headers, or the body. It classifies as response_too_large. Return it as a pointer.
type ResponseTooLargeError struct {
	What  string // the part that was too long: "headers", "body"
	Limit int64  // the bound, in bytes
}

func (e *ResponseTooLargeError) Error() string {
	what := e.What
	if what == "" {
		what = "answer"
	}
	return fmt.Sprintf("the %s went past the %d bytes a probe reads", what, e.Limit)
}
