package probe

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/spotwatch/spotwatch/internal/failure"
)

// headerCap bounds the status line and headers of an HTTP answer a probe reads: 16 KiB, the
// same bound the plain-HTTP client sets with MaxResponseHeaderBytes. Spotify's answers, a
// proxy's CONNECT answer and a block page's headers are well under 2 KiB. (bodyCap, in
// probe.go, bounds the body.)
const headerCap = 16 << 10

// framingCap is what a body may add on the wire beyond its bytes: chunk-size lines and a
// trailer. Past bodyCap+framingCap bytes the connection is not read any further.
const framingCap = 16 << 10

// cappedReader passes reads through from r until left bytes have been read, then fails every
// read with a ResponseTooLargeError and remembers that it did.
type cappedReader struct {
	r    io.Reader
	left int64
	err  *failure.ResponseTooLargeError // what to fail with at the bound
	hit  bool                           // a read met the bound
}

func (c *cappedReader) Read(p []byte) (int, error) {
	if c.left <= 0 {
		c.hit = true
		return 0, c.err
	}
	if int64(len(p)) > c.left {
		p = p[:c.left]
	}
	n, err := c.r.Read(p)
	c.left -= int64(n)
	return n, err
}

// readHead reads the status line and headers of the answer to req from r, reading no more than
// headerCap bytes of r for them. It returns the answer, whose body reads on from the same
// capped reader, and that reader, so the caller can set the bound for the body. Past the bound
// the error is a *failure.ResponseTooLargeError.
func readHead(r io.Reader, req *http.Request) (*http.Response, *cappedReader, *bufio.Reader, error) {
	cr := &cappedReader{r: r, left: headerCap, err: &failure.ResponseTooLargeError{What: "status line and headers", Limit: headerCap}}
	br := bufio.NewReaderSize(cr, 4<<10)
	resp, err := http.ReadResponse(br, req)
	if err != nil {
		if cr.hit {
			return nil, cr, br, cr.err
		}
		return nil, cr, br, err
	}
	return resp, cr, br, nil
}

// readAnswer reads the answer to req from r: the status line and headers within headerCap
// bytes, the body within bodyCap bytes (and its framing within framingCap). An answer past
// either bound fails with a *failure.ResponseTooLargeError, the body read so far (at most
// bodyCap bytes) returned with it. A body cut short by the server (unexpected EOF) is not an
// error: what came is returned.
//
// The body is not closed: net/http would drain it to the end. The caller closes the connection.
func readAnswer(r io.Reader, req *http.Request) (*http.Response, []byte, error) {
	resp, cr, _, err := readHead(r, req)
	if err != nil {
		return nil, nil, err
	}
	cr.left = bodyCap + framingCap
	cr.err = &failure.ResponseTooLargeError{What: "body", Limit: bodyCap}
	body, err := io.ReadAll(io.LimitReader(resp.Body, bodyCap+1))
	switch {
	case len(body) > bodyCap:
		return resp, body[:bodyCap], cr.err
	case cr.hit:
		return resp, body, cr.err
	case err != nil && !errors.Is(err, io.ErrUnexpectedEOF):
		return resp, body, fmt.Errorf("reading the body: %w", err)
	}
	return resp, body, nil
}

// readBody reads a body that net/http's client already framed (its headers were bounded by the
// transport's MaxResponseHeaderBytes), within bodyCap bytes. A longer body fails with a
// *failure.ResponseTooLargeError, the first bodyCap bytes returned with it.
func readBody(body io.Reader) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(body, bodyCap+1))
	if len(b) > bodyCap {
		return b[:bodyCap], &failure.ResponseTooLargeError{What: "body", Limit: bodyCap}
	}
	return b, err
}

// isTooLarge reports whether err is an answer past a probe's bound.
func isTooLarge(err error) bool {
	var tooLarge *failure.ResponseTooLargeError
	return errors.As(err, &tooLarge)
}
