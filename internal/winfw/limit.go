package winfw

import (
	"bytes"

	"github.com/spotwatch/spotwatch/internal/safetext"
)

// limitedBuffer keeps the first max bytes written to it and drops the rest, so a command's
// output cannot grow without bound; writes never fail, so the command is not cut off early.
type limitedBuffer struct {
	buf bytes.Buffer
	max int
}

func (b *limitedBuffer) Write(p []byte) (int, error) {
	if room := b.max - b.buf.Len(); room > 0 {
		b.buf.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}

// safeMsg is a command's error output made fit for an error message.
func safeMsg(msg []byte) string { return safetext.Clean(string(msg)) }
