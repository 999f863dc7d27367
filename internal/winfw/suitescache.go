package winfw

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spotwatch/spotwatch/internal/boundedread"
)

// Asking Security Center starts Windows PowerShell, which takes about a second: too slow for
// every check, and the products installed change rarely. SuitesCache keeps the answer in a
// small file and asks again only when it is older than MaxAge (a failed answer: RetryAfter).

// Lifetimes of a cached answer.
const (
	SuitesMaxAge     = 6 * time.Hour
	SuitesRetryAfter = 10 * time.Minute
)

// maxCacheFile bounds what is read of the cache file.
const maxCacheFile = 64 << 10

// SuitesCache answers which security products Security Center lists, from the file Path when
// its answer is fresh, otherwise from Lookup (SecuritySuites on Windows), whose answer it then
// stores. Zero durations mean SuitesMaxAge and SuitesRetryAfter; a nil Now is time.Now. It
// holds no state of its own: two checks at once at worst both ask Security Center.
type SuitesCache struct {
	Path       string
	MaxAge     time.Duration
	RetryAfter time.Duration
	Now        func() time.Time
	Lookup     func(context.Context) ([]string, error)
}

// cachedSuites is the cache file's content.
type cachedSuites struct {
	Checked time.Time `json:"checked"`
	Suites  []string  `json:"suites"`
	Error   string    `json:"error,omitempty"`
}

// Suites returns the products Security Center lists. A fresh cached answer is returned as it
// is, a cached failure as no products and no error (it was reported when it happened);
// otherwise Suites asks Lookup (Refresh). The error is Lookup's, or the cache file's when it
// cannot be written.
func (c SuitesCache) Suites(ctx context.Context) ([]string, error) {
	if e, ok := c.load(); ok {
		age := c.now().Sub(e.Checked)
		life := cmp.Or(c.MaxAge, SuitesMaxAge)
		if e.Error != "" {
			life = cmp.Or(c.RetryAfter, SuitesRetryAfter)
		}
		if age >= 0 && age < life {
			return e.Suites, nil
		}
	}
	return c.Refresh(ctx)
}

// Refresh asks Lookup now, whatever the cache holds, and stores its answer. A Lookup that could
// not start (PowerShell missing: fs.ErrNotExist) is not stored: there is nothing to wait for.
func (c SuitesCache) Refresh(ctx context.Context) ([]string, error) {
	suites, err := c.Lookup(ctx)
	e := cachedSuites{Checked: c.now().UTC(), Suites: suites}
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
		e = cachedSuites{Checked: e.Checked, Error: err.Error()}
	}
	if werr := c.store(e); werr != nil {
		return suites, errors.Join(err, werr)
	}
	return suites, err
}

func (c SuitesCache) now() time.Time {
	if c.Now == nil {
		return time.Now()
	}
	return c.Now()
}

// load reads the cache file; ok is false when it is missing or does not parse.
func (c SuitesCache) load() (cachedSuites, bool) {
	data, err := boundedread.File(c.Path, maxCacheFile)
	if err != nil {
		return cachedSuites{}, false
	}
	var e cachedSuites
	if err := json.Unmarshal(data, &e); err != nil || e.Checked.IsZero() {
		return cachedSuites{}, false
	}
	// The file is the user's to edit: its names go through the same cleaning as PowerShell's.
	e.Suites = ParseSuites(strings.Join(e.Suites, "\n"))
	return e, true
}

// store writes the cache file through a temporary file and a rename, so a reader never sees
// half of it.
func (c SuitesCache) store(e cachedSuites) error {
	data, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("encoding the Security Center cache: %w", err)
	}
	dir := filepath.Dir(c.Path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("creating %s: %w", dir, err)
	}
	tmp, err := os.CreateTemp(dir, ".security-center-*")
	if err != nil {
		return fmt.Errorf("writing the Security Center cache: %w", err)
	}
	_, werr := tmp.Write(data)
	cerr := tmp.Close()
	if err := errors.Join(werr, cerr); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("writing the Security Center cache %s: %w", tmp.Name(), err)
	}
	if err := os.Rename(tmp.Name(), c.Path); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("writing the Security Center cache %s: %w", c.Path, err)
	}
	return nil
}
