package statusapi

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// testFamily is one metric family as parseMetrics reads it from the text format.
type testFamily struct {
	typ    string // counter, gauge, histogram
	series []testSeries
}

// testSeries is one sample line: a histogram's carries its suffix (_bucket, _sum, _count).
type testSeries struct {
	suffix string
	labels map[string]string
	value  float64
}

// parseMetrics reads the text format as far as these tests need: # TYPE lines, which must come
// before their family's samples, and sample lines without timestamps, with label values
// unescaped. It is an independent reading of what promtext writes; promtool checks the format
// itself (TestMetricsPromtool).
func parseMetrics(r io.Reader) (map[string]*testFamily, error) {
	fams := map[string]*testFamily{}
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if rest, ok := strings.CutPrefix(line, "# TYPE "); ok {
			name, typ, _ := strings.Cut(rest, " ")
			if fams[name] != nil {
				return nil, fmt.Errorf("line %d: a second TYPE for %s", n, name)
			}
			fams[name] = &testFamily{typ: typ}
			continue
		}
		if strings.HasPrefix(line, "#") {
			continue
		}
		s, name, err := parseSample(line)
		if err != nil {
			return nil, fmt.Errorf("line %d: %q: %w", n, line, err)
		}
		f := fams[name]
		if f == nil {
			for _, suffix := range []string{"_bucket", "_sum", "_count"} {
				if base, ok := strings.CutSuffix(name, suffix); ok && fams[base] != nil && fams[base].typ == "histogram" {
					f, s.suffix = fams[base], suffix
				}
			}
		}
		if f == nil {
			return nil, fmt.Errorf("line %d: %s has no TYPE before it", n, name)
		}
		f.series = append(f.series, s)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("reading the metrics: %w", err)
	}
	return fams, nil
}

// parseSample reads `name{label="value",…} value`.
func parseSample(line string) (testSeries, string, error) {
	s := testSeries{labels: map[string]string{}}
	end := strings.IndexAny(line, "{ ")
	if end <= 0 {
		return s, "", fmt.Errorf("no metric name")
	}
	name, rest := line[:end], line[end:]
	if strings.HasPrefix(rest, "{") {
		rest = rest[1:]
		for !strings.HasPrefix(rest, "}") {
			label, after, ok := strings.Cut(rest, `="`)
			if !ok {
				return s, "", fmt.Errorf("a label without =\"")
			}
			var value strings.Builder
			i := 0
			for ; i < len(after) && after[i] != '"'; i++ {
				if after[i] != '\\' {
					value.WriteByte(after[i])
					continue
				}
				if i++; i == len(after) {
					break
				}
				switch after[i] {
				case '\\', '"':
					value.WriteByte(after[i])
				case 'n':
					value.WriteByte('\n')
				default:
					return s, "", fmt.Errorf(`an unknown escape \%c`, after[i])
				}
			}
			if i >= len(after) {
				return s, "", fmt.Errorf("an unterminated label value")
			}
			s.labels[label] = value.String()
			rest = strings.TrimPrefix(after[i+1:], ",")
		}
		rest = rest[1:]
	}
	v, err := strconv.ParseFloat(strings.TrimPrefix(rest, " "), 64)
	if err != nil || !strings.HasPrefix(rest, " ") {
		return s, "", fmt.Errorf("no value: %v", err)
	}
	s.value = v
	return s, name, nil
}
