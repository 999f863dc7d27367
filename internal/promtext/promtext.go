// Package promtext writes metrics in the Prometheus text exposition format, version 0.0.4: the
// format Prometheus scrapes from /metrics and node_exporter's textfile collector reads from
// *.prom files (https://prometheus.io/docs/instrumenting/exposition_formats/).
//
// It is what spotwatch needs of github.com/prometheus/client_golang, which costs a binary
// about 2.4 MB: counters, gauges and histograms, rendered exactly as client_golang renders them
// (the same float formatting, escaping and order), with no registry, no protobuf and no
// content negotiation. An Exposition collects the samples of one scrape, and WriteTo renders
// them: families sorted by name, each with its # HELP and # TYPE lines, series sorted by their
// labels, labels within a series sorted by name.
package promtext

import (
	"cmp"
	"fmt"
	"io"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

// ContentType is the HTTP Content-Type of the text format 0.0.4.
const ContentType = "text/plain; version=0.0.4; charset=utf-8"

// Type is a metric family's type, as written on its # TYPE line.
type Type string

// The metric types this package writes.
const (
	Counter   Type = "counter"
	Gauge     Type = "gauge"
	Histogram Type = "histogram"
)

// Desc describes a metric family: its name, help text and type.
type Desc struct {
	Name string
	Help string // one line of text; a backslash or newline in it is escaped
	Type Type
}

// Label is one label of a series. Its value may be any string: a backslash, double quote or
// newline is escaped, and bytes that are not UTF-8 become U+FFFD.
type Label struct {
	Name, Value string
}

// L is Label{Name: name, Value: value}.
func L(name, value string) Label { return Label{Name: name, Value: value} }

// HistogramData counts observations in buckets, as a Prometheus histogram does: a value v
// falls in the first bucket whose upper bound is at least v, or in the last (+Inf) bucket.
// It is not safe for concurrent use.
type HistogramData struct {
	bounds []float64 // the upper bounds, increasing; +Inf is implied
	counts []uint64  // per bucket, not cumulative; the last is +Inf's
	sum    float64
}

// NewHistogram returns an empty histogram with these upper bounds, which must be increasing
// and finite (the +Inf bucket is always there).
func NewHistogram(bounds []float64) (*HistogramData, error) {
	for i, b := range bounds {
		if math.IsNaN(b) || math.IsInf(b, 0) {
			return nil, fmt.Errorf("promtext: histogram bound %v: want a finite number", b)
		}
		if i > 0 && b <= bounds[i-1] {
			return nil, fmt.Errorf("promtext: histogram bounds %v: want them increasing", bounds)
		}
	}
	return &HistogramData{bounds: slices.Clone(bounds), counts: make([]uint64, len(bounds)+1)}, nil
}

// Observe counts v.
func (h *HistogramData) Observe(v float64) {
	h.counts[sort.SearchFloat64s(h.bounds, v)]++
	h.sum += v
}

// Count is the number of observations.
func (h *HistogramData) Count() uint64 {
	var n uint64
	for _, c := range h.counts {
		n += c
	}
	return n
}

// Sum is the sum of the observations.
func (h *HistogramData) Sum() float64 { return h.sum }

// Exposition is the metric families of one scrape or one file. Its zero value is empty and
// ready to use; it is not safe for concurrent use. The first mistake in what is added (an
// invalid name, a family described two ways, the same series twice) is kept and returned by
// WriteTo and AppendText.
type Exposition struct {
	families map[string]*family
	err      error
}

type family struct {
	desc   Desc
	series []series
}

type series struct {
	labels []Label // sorted by name
	value  float64
	hist   *histSnapshot
}

type histSnapshot struct {
	bounds []float64
	counts []uint64 // cumulative, without +Inf
	count  uint64
	sum    float64
}

// Add adds a counter or gauge sample of d with these labels.
func (e *Exposition) Add(d Desc, v float64, labels ...Label) {
	if d.Type != Counter && d.Type != Gauge {
		e.fail(fmt.Errorf("promtext: %s is a %s: Add takes a counter or a gauge", d.Name, d.Type))
		return
	}
	e.add(d, series{value: v}, labels)
}

// AddHistogram adds the current counts of h as a histogram series of d with these labels
// (which must not include "le"). Later observations of h do not change what was added.
func (e *Exposition) AddHistogram(d Desc, h *HistogramData, labels ...Label) {
	if d.Type != Histogram {
		e.fail(fmt.Errorf("promtext: %s is a %s: AddHistogram takes a histogram", d.Name, d.Type))
		return
	}
	s := &histSnapshot{bounds: h.bounds, counts: make([]uint64, len(h.bounds)), sum: h.sum}
	for i, c := range h.counts {
		s.count += c
		if i < len(s.counts) {
			s.counts[i] = s.count
		}
	}
	e.add(d, series{hist: s}, labels)
}

func (e *Exposition) add(d Desc, s series, labels []Label) {
	if e.err != nil {
		return
	}
	f := e.families[d.Name]
	if f == nil {
		if !validMetricName(d.Name) {
			e.fail(fmt.Errorf("promtext: %q is not a valid metric name", d.Name))
			return
		}
		if e.families == nil {
			e.families = map[string]*family{}
		}
		f = &family{desc: d}
		e.families[d.Name] = f
	} else if f.desc != d {
		e.fail(fmt.Errorf("promtext: %s is described two ways: %+v and %+v", d.Name, f.desc, d))
		return
	}
	s.labels = slices.Clone(labels)
	slices.SortFunc(s.labels, func(a, b Label) int { return strings.Compare(a.Name, b.Name) })
	for i, l := range s.labels {
		switch {
		case !validLabelName(l.Name):
			e.fail(fmt.Errorf("promtext: %s: %q is not a valid label name", d.Name, l.Name))
			return
		case i > 0 && l.Name == s.labels[i-1].Name:
			e.fail(fmt.Errorf("promtext: %s: the label %s is given twice", d.Name, l.Name))
			return
		case d.Type == Histogram && l.Name == "le":
			e.fail(fmt.Errorf("promtext: %s: a histogram's series cannot have the label le", d.Name))
			return
		}
	}
	f.series = append(f.series, s)
}

func (e *Exposition) fail(err error) {
	if e.err == nil {
		e.err = err
	}
}

// AppendText appends the exposition in the text format to b. Families are sorted by name and
// series by their label values; a family is written only once it has a series.
func (e *Exposition) AppendText(b []byte) ([]byte, error) {
	if e.err != nil {
		return b, e.err
	}
	names := make([]string, 0, len(e.families))
	for name := range e.families {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		f := e.families[name]
		slices.SortStableFunc(f.series, func(a, b series) int { return compareLabels(a.labels, b.labels) })
		for i := 1; i < len(f.series); i++ {
			if compareLabels(f.series[i-1].labels, f.series[i].labels) == 0 {
				return b, fmt.Errorf("promtext: %s%s is given twice", name, appendLabels(nil, f.series[i].labels, "", 0))
			}
		}
		if f.desc.Help != "" {
			b = append(b, "# HELP "...)
			b = append(b, name...)
			b = append(b, ' ')
			b = appendEscaped(b, f.desc.Help, false)
			b = append(b, '\n')
		}
		b = append(b, "# TYPE "...)
		b = append(b, name...)
		b = append(b, ' ')
		b = append(b, f.desc.Type...)
		b = append(b, '\n')
		for _, s := range f.series {
			if s.hist == nil {
				b = appendSample(b, name, "", s.labels, "", 0, s.value)
				continue
			}
			h := s.hist
			for i, bound := range h.bounds {
				b = appendSample(b, name, "_bucket", s.labels, "le", bound, float64(h.counts[i]))
			}
			b = appendSample(b, name, "_bucket", s.labels, "le", math.Inf(1), float64(h.count))
			b = appendSample(b, name, "_sum", s.labels, "", 0, h.sum)
			b = appendSample(b, name, "_count", s.labels, "", 0, float64(h.count))
		}
	}
	return b, nil
}

// WriteTo writes the exposition in the text format to w with one Write; see AppendText.
func (e *Exposition) WriteTo(w io.Writer) (int64, error) {
	b, err := e.AppendText(nil)
	if err != nil {
		return 0, err
	}
	n, err := w.Write(b)
	if err != nil {
		return int64(n), fmt.Errorf("promtext: writing the metrics: %w", err)
	}
	return int64(n), nil
}

// compareLabels orders two sorted label sets by their names and values in turn.
func compareLabels(a, b []Label) int {
	for i := range min(len(a), len(b)) {
		if c := strings.Compare(a[i].Name, b[i].Name); c != 0 {
			return c
		}
		if c := strings.Compare(a[i].Value, b[i].Value); c != 0 {
			return c
		}
	}
	return cmp.Compare(len(a), len(b))
}

// appendSample appends one line: name+suffix, the labels (and extra="extraValue" after them
// when extra is set) and the value.
func appendSample(b []byte, name, suffix string, labels []Label, extra string, extraValue, v float64) []byte {
	b = append(b, name...)
	b = append(b, suffix...)
	b = appendLabels(b, labels, extra, extraValue)
	b = append(b, ' ')
	b = AppendFloat(b, v)
	return append(b, '\n')
}

func appendLabels(b []byte, labels []Label, extra string, extraValue float64) []byte {
	if len(labels) == 0 && extra == "" {
		return b
	}
	b = append(b, '{')
	for i, l := range labels {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, l.Name...)
		b = append(b, `="`...)
		b = appendEscaped(b, l.Value, true)
		b = append(b, '"')
	}
	if extra != "" {
		if len(labels) > 0 {
			b = append(b, ',')
		}
		b = append(b, extra...)
		b = append(b, `="`...)
		b = AppendFloat(b, extraValue)
		b = append(b, '"')
	}
	return append(b, '}')
}

// AppendFloat appends v as the text format writes a value (and client_golang a bucket's
// bound): the shortest representation that reads back as v, in %g style ("0.25", "90",
// "1.795546800123e+09"), "+Inf", "-Inf" or "NaN"; negative zero is "0".
func AppendFloat(b []byte, v float64) []byte {
	switch {
	case v == 0:
		return append(b, '0')
	case math.IsNaN(v):
		return append(b, "NaN"...)
	case math.IsInf(v, 1):
		return append(b, "+Inf"...)
	case math.IsInf(v, -1):
		return append(b, "-Inf"...)
	}
	return strconv.AppendFloat(b, v, 'g', -1, 64)
}

// appendEscaped appends s escaped as the text format wants: a backslash as \\ and a newline
// as \n, and in a label value (quoted) a double quote as \". Bytes that are not UTF-8 become
// U+FFFD, since Prometheus's parser takes only UTF-8.
func appendEscaped(b []byte, s string, quoted bool) []byte {
	done := 0 // s[:done] is in b
	for i := 0; i < len(s); {
		var esc string
		size := 1
		switch c := s[i]; {
		case c == '\\':
			esc = `\\`
		case c == '\n':
			esc = `\n`
		case c == '"' && quoted:
			esc = `\"`
		case c >= utf8.RuneSelf:
			var r rune
			if r, size = utf8.DecodeRuneInString(s[i:]); r == utf8.RuneError && size == 1 {
				esc = "\uFFFD"
			}
		}
		if esc != "" {
			b = append(append(b, s[done:i]...), esc...)
			done = i + size
		}
		i += size
	}
	return append(b, s[done:]...)
}

// validMetricName reports whether name matches [a-zA-Z_:][a-zA-Z0-9_:]*, the names the text
// format 0.0.4 can carry unquoted.
func validMetricName(name string) bool {
	return validName(name, true)
}

// validLabelName reports whether name matches [a-zA-Z_][a-zA-Z0-9_]* and does not begin with
// "__", which Prometheus reserves for itself.
func validLabelName(name string) bool {
	return validName(name, false) && !strings.HasPrefix(name, "__")
}

func validName(name string, colon bool) bool {
	if name == "" {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		ok := c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' && i > 0 || c == ':' && colon
		if !ok {
			return false
		}
	}
	return true
}
