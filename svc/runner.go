package svc

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync"
)

// lineHandler formats each record as one text line, without the time (the service logger
// stamps its entries), and hands it to write with the record's level.
type lineHandler struct {
	mu    *sync.Mutex
	buf   *bytes.Buffer
	inner slog.Handler
	write func(slog.Level, string) error
}

func newLineHandler(level slog.Leveler, write func(slog.Level, string) error) *lineHandler {
	buf := new(bytes.Buffer)
	inner := slog.NewTextHandler(buf, &slog.HandlerOptions{
		Level: level,
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			if len(groups) == 0 && a.Key == slog.TimeKey {
				return slog.Attr{}
			}
			return a
		},
	})
	return &lineHandler{mu: new(sync.Mutex), buf: buf, inner: inner, write: write}
}

func (h *lineHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return h.inner.Enabled(ctx, l)
}

func (h *lineHandler) Handle(ctx context.Context, r slog.Record) error {
	h.mu.Lock()
	h.buf.Reset()
	err := h.inner.Handle(ctx, r)
	line := strings.TrimSuffix(h.buf.String(), "\n")
	h.mu.Unlock()
	if err != nil {
		return err
	}
	return h.write(r.Level, line)
}

func (h *lineHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return &lineHandler{mu: h.mu, buf: h.buf, inner: h.inner.WithAttrs(attrs), write: h.write}
}

func (h *lineHandler) WithGroup(name string) slog.Handler {
	return &lineHandler{mu: h.mu, buf: h.buf, inner: h.inner.WithGroup(name), write: h.write}
}
