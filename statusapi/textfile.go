package statusapi

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
)

// WriteMetricsFile keeps path, a file in node_exporter's textfile directory, holding the metrics
// of src (the same names and labels as ServeMetrics serves) until ctx is done, then returns nil.
// It writes the file at once, and again after every check and every state change; events that
// arrive together (a check and the state change it made) give one write.
//
// Each write is atomic: the metrics are rendered in memory, written to a temporary file in the
// same directory (".spotwatch.prom.*.tmp", a name the textfile collector skips), made readable
// by node_exporter's account (0644) and renamed over path, so a scrape sees the old file or the
// new one, never a part. There is no fsync: after a crash the next check writes the file again.
// The file stays when the daemon stops, so that the fleet's staleness rule (a last check older
// than three intervals) names a desktop whose daemon no longer runs.
//
// A write that fails (the directory is missing, the disk is full) is logged, once per distinct
// error, and monitoring goes on; the next event tries again.
func WriteMetricsFile(ctx context.Context, path string, src Source, logger *slog.Logger) error {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if !filepath.IsAbs(path) || filepath.Ext(path) != ".prom" {
		return fmt.Errorf("metrics.textfile %q: want an absolute path ending in .prom (node_exporter's textfile collector reads only *.prom)", path)
	}
	m := newMetrics(src, logger)
	w := &textfileWriter{path: path, log: logger, m: m}
	events, unsubscribe := src.Subscribe()
	defer func() { unsubscribe() }()
	logger.Info("writing Prometheus metrics for node_exporter", "textfile", path)
	for {
		select {
		case <-ctx.Done():
			return nil
		case ev, ok := <-events:
			if !ok {
				logger.Warn("the metrics file fell behind the monitor's events; subscribing again")
				events, unsubscribe = src.Subscribe()
				continue
			}
			m.observe(ev)
			// Take what else is already queued, so that a check and its state change
			// make one write.
			for more := true; more; {
				select {
				case ev, ok := <-events:
					if !ok {
						more = false
						break
					}
					m.observe(ev)
				default:
					more = false
				}
			}
			w.write()
		}
	}
}

// textfileWriter writes one metrics file and remembers its last error.
type textfileWriter struct {
	path    string
	log     *slog.Logger
	m       *metrics
	buf     []byte
	lastErr string
}

// write renders the metrics and replaces the file with them, logging a new kind of failure
// and the recovery from one.
func (w *textfileWriter) write() {
	err := w.replace()
	switch {
	case err != nil && err.Error() != w.lastErr:
		w.log.Error("writing the metrics file; monitoring goes on", "textfile", w.path, "err", err)
		w.lastErr = err.Error()
	case err == nil && w.lastErr != "":
		w.log.Info("the metrics file is written again", "textfile", w.path)
		w.lastErr = ""
	}
}

func (w *textfileWriter) replace() error {
	var err error
	if w.buf, err = w.m.appendText(w.buf[:0]); err != nil {
		return err
	}
	dir := filepath.Dir(w.path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(w.path)+".*.tmp")
	if err != nil {
		return fmt.Errorf("creating a temporary file beside %s: %w", w.path, err)
	}
	_, err = tmp.Write(w.buf)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp.Name(), 0o644)
	}
	if err == nil {
		err = os.Rename(tmp.Name(), w.path)
	}
	if err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("replacing %s: %w", w.path, err)
	}
	return nil
}
