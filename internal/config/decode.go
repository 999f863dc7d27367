package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"time"

	"go.yaml.in/yaml/v3"
)

// parse lays data over c (which it changes and returns) and checks the result.
func parse(file string, data []byte, c *Config) (*Config, error) {
	d := newDecoder(file)
	root, err := d.document(data)
	if err != nil {
		return nil, err
	}
	if root != nil {
		d.config(root, c)
	}
	if len(d.errs) == 0 {
		d.checkTimeout(c)
		d.checkFullCheckEvery(c)
	}
	switch len(d.errs) {
	case 0:
		return c, nil
	case 1:
		return nil, d.errs[0]
	default:
		return nil, errors.Join(d.errs...)
	}
}

// decoder walks the YAML node tree of one file onto a Config. It does not stop at the first
// problem: it collects them all in errs.
type decoder struct {
	file  string
	errs  []error
	keys  map[string]*yaml.Node // each key path written in the file ("thresholds.fail") -> its key node
	known map[string]bool       // each key path the schema allows in the mappings walked (for tests)
}

func newDecoder(file string) *decoder {
	return &decoder{file: file, keys: make(map[string]*yaml.Node), known: make(map[string]bool)}
}

// A decodeFunc decodes one value; key is its path for messages, e.g. "spotify.https[1]".
type decodeFunc func(value *yaml.Node, key string)

// fields are the keys a YAML mapping may hold, each with the function that decodes its value.
type fields map[string]decodeFunc

// config is the schema: every key of the file and where its value goes.
func (d *decoder) config(root *yaml.Node, c *Config) {
	d.mapping(root, "", fields{
		"interval":         d.duration(&c.Interval, minInterval),
		"failing_interval": d.duration(&c.FailingInterval, minFailingInterval),
		"timeout":          d.duration(&c.Timeout, minTimeout),
		"light_check":      d.boolean(&c.LightCheck),
		"full_check_every": d.duration(&c.FullCheckEvery, minInterval),
		"metered_interval": d.duration(&c.MeteredInterval, minInterval),
		"thresholds": d.section(fields{
			"fail":    d.integer(&c.Thresholds.Fail, 1, math.MaxInt),
			"recover": d.integer(&c.Thresholds.Recover, 1, math.MaxInt),
		}),
		"notify": d.section(fields{
			"enabled":      d.boolean(&c.Notify.Enabled),
			"on_recovery":  d.boolean(&c.Notify.OnRecovery),
			"repeat_after": d.duration(&c.Notify.RepeatAfter, minRepeatAfter),
		}),
		"spotify": d.section(fields{
			"apresolve":              d.text(&c.Spotify.APResolve, checkURL("https")),
			"fallback_access_points": d.list(&c.Spotify.FallbackAccessPoints, checkHostPort),
			"https":                  d.list(&c.Spotify.HTTPS, checkURL("https")),
			"domains":                d.list(&c.Spotify.Domains, checkDomain),
			"app_executables":        d.paths(&c.Spotify.AppExecutables),
		}),
		"internet": d.section(fields{
			"http": d.httpReferences(&c.Internet.HTTP),
			"tcp":  d.list(&c.Internet.TCP, checkHostPort),
			"doh":  d.list(&c.Internet.DoH, checkURL("https")),
		}),
		"dns": d.section(fields{
			"server": d.text(&c.DNS.Server, optional(checkDNSServer)),
		}),
		"hosts_file": d.path(&c.HostsFile, nil),
		"tls": d.section(fields{
			"public_roots": d.path(&c.TLS.PublicRoots, checkPEMFile),
		}),
		"api": d.section(fields{
			"socket": d.text(&c.API.Socket, nil), // a path, a pipe name or a Linux abstract name: taken as written
		}),
		"metrics": d.section(fields{
			"listen":   d.text(&c.Metrics.Listen, optional(checkLoopback)),
			"textfile": d.path(&c.Metrics.Textfile, checkTextfile),
		}),
		"log": d.section(fields{
			"level":  d.text(&c.Log.Level, checkOneOf("debug", "info", "warn", "error")),
			"format": d.text(&c.Log.Format, checkOneOf("text", "json")),
			"file":   d.path(&c.Log.File, nil),
		}),
	})
}

// checkTimeout checks that a check's deadline fits between two checks while failing.
func (d *decoder) checkTimeout(c *Config) {
	if c.Timeout <= c.FailingInterval {
		return
	}
	if k := d.keys["timeout"]; k != nil || d.keys["failing_interval"] == nil {
		d.errorf(k, "timeout", "must not be longer than failing_interval (%s), got %s", c.FailingInterval, c.Timeout)
		return
	}
	d.errorf(d.keys["failing_interval"], "failing_interval", "must not be shorter than timeout (%s), got %s", c.Timeout, c.FailingInterval)
}

// checkFullCheckEvery checks that the light mode's full check is not more frequent than the
// checks themselves: a shorter full_check_every would make every check a full one, silently.
func (d *decoder) checkFullCheckEvery(c *Config) {
	if c.FullCheckEvery >= c.Interval {
		return
	}
	if k := d.keys["full_check_every"]; k != nil {
		d.errorf(k, "full_check_every", "must not be shorter than interval (%s), got %s", c.Interval, c.FullCheckEvery)
		return
	}
	// Only the default is shorter: a file that sets a long interval (valid before the key
	// existed) gets a full check every interval.
	c.FullCheckEvery = c.Interval
}

// document returns the root node of data's single YAML document, or nil when there is none.
// The error is a YAML syntax error; problems with the content are collected in d.errs.
func (d *decoder) document(data []byte) (*yaml.Node, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); errors.Is(err, io.EOF) {
		return nil, nil // empty, or only comments
	} else if err != nil {
		return nil, syntaxError(d.file, data, err)
	}
	var next yaml.Node
	if err := dec.Decode(&next); err == nil {
		return nil, &Error{File: d.file, Line: next.Line, Column: next.Column, Msg: "a second YAML document: a config file holds one"}
	} else if !errors.Is(err, io.EOF) {
		return nil, syntaxError(d.file, data, err)
	}
	if len(doc.Content) == 0 {
		return nil, nil
	}
	return doc.Content[0], nil
}

// errorf records a problem with node n (nil when the problem has no place in the file).
func (d *decoder) errorf(n *yaml.Node, key, format string, args ...any) {
	e := &Error{File: d.file, Key: key, Msg: fmt.Sprintf(format, args...)}
	if n != nil {
		e.Line, e.Column = n.Line, n.Column
	}
	d.errs = append(d.errs, e)
}

// mapping decodes the mapping n, whose path is path, with f. A null value (a key with nothing
// after it, or everything under it commented out) is an empty mapping. It returns false if n
// is not a mapping.
func (d *decoder) mapping(n *yaml.Node, path string, f fields) bool {
	for name := range f {
		d.known[join(path, name)] = true
	}
	if isNull(n) {
		return true
	}
	if n.Kind != yaml.MappingNode {
		d.errorf(n, path, "want a mapping of keys to values, got %s", describe(n))
		return false
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			d.errorf(k, path, "want a key name, got %s", describe(k))
			continue
		}
		key := join(path, keyName(k.Value))
		decode, ok := f[k.Value]
		switch {
		case !ok:
			d.errorf(k, key, "unknown key %s", suggest(k.Value, f))
		case d.keys[key] != nil:
			d.errorf(k, key, "duplicate key (first set on line %d)", d.keys[key].Line)
		case v.Kind == yaml.AliasNode:
			d.keys[key] = k
			d.errorf(v, key, "aliases (*%s) are not supported: write the value out", v.Value)
		default:
			d.keys[key] = k
			decode(v, key)
		}
	}
	return true
}

// section decodes a nested mapping.
func (d *decoder) section(f fields) decodeFunc {
	return func(n *yaml.Node, key string) { d.mapping(n, key, f) }
}

// sequence returns the items of the list n. ok is false if n is not a list or holds an alias.
func (d *decoder) sequence(n *yaml.Node, key string) (items []*yaml.Node, ok bool) {
	if isNull(n) {
		d.errorf(n, key, "no value (write [] for an empty list)")
		return nil, false
	}
	if n.Kind != yaml.SequenceNode {
		d.errorf(n, key, "want a list, got %s", describe(n))
		return nil, false
	}
	ok = true
	for i, item := range n.Content {
		if item.Kind == yaml.AliasNode {
			d.errorf(item, index(key, i), "aliases (*%s) are not supported: write the value out", item.Value)
			ok = false
		}
	}
	return n.Content, ok
}

// list decodes a list of strings, each passing check; it replaces the default list.
func (d *decoder) list(dst *[]string, check func(string) error) decodeFunc {
	return func(n *yaml.Node, key string) {
		items, ok := d.sequence(n, key)
		if !ok {
			return
		}
		values := make([]string, len(items))
		for i, item := range items {
			d.text(&values[i], check)(item, index(key, i))
		}
		*dst = values
	}
}

// paths decodes a list of paths, each as path does (relative to the config file's directory).
func (d *decoder) paths(dst *[]string) decodeFunc {
	return func(n *yaml.Node, key string) {
		items, ok := d.sequence(n, key)
		if !ok {
			return
		}
		var values []string // none: nil, as in Default()
		for i, item := range items {
			var p string
			d.path(&p, nil)(item, index(key, i))
			if p != "" {
				values = append(values, p)
			}
		}
		*dst = values
	}
}

// httpReferences decodes internet.http: a list of {url, status, body}.
func (d *decoder) httpReferences(dst *[]HTTPReference) decodeFunc {
	return func(n *yaml.Node, key string) {
		items, ok := d.sequence(n, key)
		if !ok {
			return
		}
		refs := make([]HTTPReference, len(items))
		for i, item := range items {
			r, itemKey := &refs[i], index(key, i)
			ok := d.mapping(item, itemKey, fields{
				"url":    d.text(&r.URL, checkURL("http", "https")),
				"status": d.integer(&r.Status, 100, 599),
				"body":   d.text(&r.Body, nil),
			})
			if ok && d.keys[itemKey+".url"] == nil {
				d.errorf(item, itemKey, "missing url")
			}
		}
		*dst = refs
	}
}

// text decodes a string that passes check (nil: any string).
func (d *decoder) text(dst *string, check func(string) error) decodeFunc {
	return func(n *yaml.Node, key string) {
		s, ok := d.str(n, key)
		if !ok {
			return
		}
		if check != nil {
			if err := check(s); err != nil {
				d.errorf(n, key, "%v", err)
				return
			}
		}
		*dst = s
	}
}

// path decodes a file path that passes check (nil: any path). A relative path is taken
// relative to the config file's directory; a rooted one stays as it is (see rooted); "" stays ""
// (the default).
func (d *decoder) path(dst *string, check func(string) error) decodeFunc {
	return func(n *yaml.Node, key string) {
		p, ok := d.str(n, key)
		if !ok {
			return
		}
		if p == "" {
			*dst = ""
			return
		}
		if !rooted(p) && d.file != "" {
			p = filepath.Join(filepath.Dir(d.file), p)
		}
		if check != nil {
			if err := check(p); err != nil {
				d.errorf(n, key, "%v", err)
				return
			}
		}
		*dst = p
	}
}

// rooted reports whether p names its place without the current directory, so that it is not
// joined onto the config file's directory. On Windows that is more than filepath.IsAbs: a path
// starting with a separator (`\ProgramData\x.log`, `/tmp/hosts`) means the root of the current
// drive, and a path with a drive letter but no separator (`C:x.log`) the current directory of that
// drive; neither is a path relative to the config file, and joining either onto its directory
// would name another file (`etc\spotwatch\tmp\hosts`). On Unix it is filepath.IsAbs.
func rooted(p string) bool {
	return filepath.IsAbs(p) || filepath.VolumeName(p) != "" || (p != "" && os.IsPathSeparator(p[0]))
}

// str returns the string n holds; it reports any other type.
func (d *decoder) str(n *yaml.Node, key string) (string, bool) {
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!str" {
		d.errorf(n, key, "want a string, got %s", describe(n))
		return "", false
	}
	return n.Value, true
}

// duration decodes a Go duration ("60s", "1m30s") of at least lowest (which is above zero).
func (d *decoder) duration(dst *time.Duration, lowest time.Duration) decodeFunc {
	return func(n *yaml.Node, key string) {
		if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!str" {
			hint := ""
			if n.ShortTag() == "!!int" {
				hint = fmt.Sprintf(" (add a unit: %ss)", n.Value)
			}
			d.errorf(n, key, `want a duration such as "60s" or "1m30s", got %s%s`, describe(n), hint)
			return
		}
		v, err := time.ParseDuration(n.Value)
		if err != nil {
			d.errorf(n, key, `not a duration: %q (write it like "60s" or "1m30s")`, n.Value)
			return
		}
		if v <= 0 {
			d.errorf(n, key, "must be greater than 0, got %q", n.Value)
			return
		}
		if v < lowest {
			d.errorf(n, key, "must be at least %s, got %q", lowest, n.Value)
			return
		}
		*dst = v
	}
}

// integer decodes a whole number from lo to hi.
func (d *decoder) integer(dst *int, lo, hi int) decodeFunc {
	return func(n *yaml.Node, key string) {
		var v int
		if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!int" || n.Decode(&v) != nil {
			d.errorf(n, key, "want a whole number, got %s", describe(n))
			return
		}
		switch {
		case v >= lo && v <= hi:
			*dst = v
		case hi == math.MaxInt:
			d.errorf(n, key, "must be at least %d, got %d", lo, v)
		default:
			d.errorf(n, key, "must be from %d to %d, got %d", lo, hi, v)
		}
	}
}

// boolean decodes true or false.
func (d *decoder) boolean(dst *bool) decodeFunc {
	return func(n *yaml.Node, key string) {
		var v bool
		if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!bool" || n.Decode(&v) != nil {
			d.errorf(n, key, "want true or false, got %s", describe(n))
			return
		}
		*dst = v
	}
}

// describe names the type and value of n for messages: `the string "x"`, "a list"…
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.AliasNode:
		return "an alias"
	}
	switch tag := n.ShortTag(); tag {
	case "!!null":
		return "no value"
	case "!!str":
		return fmt.Sprintf("the string %q", n.Value)
	case "!!int", "!!float":
		return "the number " + n.Value
	case "!!bool":
		return "the boolean " + n.Value
	default:
		return fmt.Sprintf("%q (a %s)", n.Value, tag)
	}
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

// join appends a key name to a key path.
func join(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

// index names item i of the list at key: "spotify.https[1]".
func index(key string, i int) string {
	return fmt.Sprintf("%s[%d]", key, i)
}
