package promtext

import (
	"errors"
	"math"
	"strings"
	"testing"
)

func TestAppendFloat(t *testing.T) {
	for _, c := range []struct {
		in   float64
		want string
	}{
		{0, "0"},
		{math.Copysign(0, -1), "0"},
		{1, "1"},
		{-1, "-1"},
		{7, "7"},
		{90, "90"},
		{0.025, "0.025"},
		{1.5, "1.5"},
		{62.644, "62.644"},
		{0.30000000000000004, "0.30000000000000004"}, // 0.1 + 0.2 at run time
		{123456, "123456"},
		{1234567, "1.234567e+06"},
		{1.795546800123e9, "1.795546800123e+09"},
		{1e21, "1e+21"},
		{1e-7, "1e-07"},
		{-2.5e-5, "-2.5e-05"},
		{math.MaxFloat64, "1.7976931348623157e+308"},
		{math.Inf(1), "+Inf"},
		{math.Inf(-1), "-Inf"},
		{math.NaN(), "NaN"},
	} {
		if got := string(AppendFloat([]byte("x="), c.in)); got != "x="+c.want {
			t.Errorf("AppendFloat(%v) = %q, want %q", c.in, got, "x="+c.want)
		}
	}
}

func TestAppendEscaped(t *testing.T) {
	for _, c := range []struct {
		in               string
		quoted, unquoted string // as a label value, as a help text
	}{
		{"", "", ""},
		{"plain text", "plain text", "plain text"},
		{`back\slash`, `back\\slash`, `back\\slash`},
		{"new\nline", `new\nline`, `new\nline`},
		{`"quoted"`, `\"quoted\"`, `"quoted"`},
		{"tab\tand\rreturn", "tab\tand\rreturn", "tab\tand\rreturn"},
		{`\n is not a newline`, `\\n is not a newline`, `\\n is not a newline`},
		{"ünïcödé ✓ \U0001F3B5", "ünïcödé ✓ \U0001F3B5", "ünïcödé ✓ \U0001F3B5"},
		{"bad \xff byte", "bad \uFFFD byte", "bad \uFFFD byte"},
		{"cut \xe2\x9c", "cut \uFFFD\uFFFD", "cut \uFFFD\uFFFD"},
		{"\uFFFD stays", "\uFFFD stays", "\uFFFD stays"},
		{"\\\"\n\\", `\\\"\n\\`, `\\"\n\\`},
	} {
		if got := string(appendEscaped(nil, c.in, true)); got != c.quoted {
			t.Errorf("label value %q: %q, want %q", c.in, got, c.quoted)
		}
		if got := string(appendEscaped(nil, c.in, false)); got != c.unquoted {
			t.Errorf("help %q: %q, want %q", c.in, got, c.unquoted)
		}
	}
}

func TestNames(t *testing.T) {
	for name, want := range map[string][2]bool{ // metric name, label name
		"spotwatch_state":   {true, true},
		"_private":          {true, true},
		"a1":                {true, true},
		"Upper_Case":        {true, true},
		"job:rate5m":        {true, false},
		"__name__":          {true, false},
		"":                  {false, false},
		"1abc":              {false, false},
		"has-dash":          {false, false},
		"has space":         {false, false},
		"has.dot":           {false, false},
		"ünicode":           {false, false},
		"spotwatch_state\n": {false, false},
	} {
		if got := validMetricName(name); got != want[0] {
			t.Errorf("validMetricName(%q) = %v, want %v", name, got, want[0])
		}
		if got := validLabelName(name); got != want[1] {
			t.Errorf("validLabelName(%q) = %v, want %v", name, got, want[1])
		}
	}
}

var (
	requests = Desc{Name: "app_requests_total", Help: "Requests handled.", Type: Counter}
	temp     = Desc{Name: "app_temperature_celsius", Help: "The temperature.\nIn \\degrees\\.", Type: Gauge}
	latency  = Desc{Name: "app_latency_seconds", Help: "How long requests took.", Type: Histogram}
	noHelp   = Desc{Name: "app_up", Type: Gauge}
)

func mustHistogram(t *testing.T, bounds []float64, obs ...float64) *HistogramData {
	t.Helper()
	h, err := NewHistogram(bounds)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range obs {
		h.Observe(v)
	}
	return h
}

func TestExposition(t *testing.T) {
	for _, c := range []struct {
		name string
		add  func(*Exposition)
		want string
	}{
		{"empty", func(*Exposition) {}, ""},
		{"one gauge", func(e *Exposition) { e.Add(noHelp, 1) }, "# TYPE app_up gauge\napp_up 1\n"},
		{
			"families by name, series by labels, labels by name",
			func(e *Exposition) {
				e.Add(temp, -3.5, L("room", "kitchen"))
				e.Add(requests, 2, L("path", "/b"), L("code", "200"))
				e.Add(requests, 1, L("path", "/a"), L("code", "500"))
				e.Add(requests, 7, L("path", "/a"), L("code", "200"))
				e.Add(temp, 21.25, L("room", "hall"))
			},
			`# HELP app_requests_total Requests handled.
# TYPE app_requests_total counter
app_requests_total{code="200",path="/a"} 7
app_requests_total{code="200",path="/b"} 2
app_requests_total{code="500",path="/a"} 1
# HELP app_temperature_celsius The temperature.\nIn \\degrees\\.
# TYPE app_temperature_celsius gauge
app_temperature_celsius{room="hall"} 21.25
app_temperature_celsius{room="kitchen"} -3.5
`,
		},
		{
			"label values escaped",
			func(e *Exposition) { e.Add(requests, 1, L("path", "/\"q\"\\\n")) },
			"# HELP app_requests_total Requests handled.\n# TYPE app_requests_total counter\n" +
				`app_requests_total{path="/\"q\"\\\n"} 1` + "\n",
		},
		{
			"empty histogram",
			func(e *Exposition) { e.AddHistogram(latency, mustHistogram(t, []float64{0.5, 1})) },
			`# HELP app_latency_seconds How long requests took.
# TYPE app_latency_seconds histogram
app_latency_seconds_bucket{le="0.5"} 0
app_latency_seconds_bucket{le="1"} 0
app_latency_seconds_bucket{le="+Inf"} 0
app_latency_seconds_sum 0
app_latency_seconds_count 0
`,
		},
		{
			"histograms with labels, le last, bounds inclusive",
			func(e *Exposition) {
				h := mustHistogram(t, []float64{0.025, 0.5, 1, 2.5}, 0.5, 0.01, 3, 1, 0.7)
				e.AddHistogram(latency, h, L("zone", "b"), L("api", "v1"))
				e.AddHistogram(latency, mustHistogram(t, []float64{0.025, 0.5, 1, 2.5}, 100), L("zone", "a"), L("api", "v1"))
				h.Observe(1) // after it was added: not in the output
			},
			`# HELP app_latency_seconds How long requests took.
# TYPE app_latency_seconds histogram
app_latency_seconds_bucket{api="v1",zone="a",le="0.025"} 0
app_latency_seconds_bucket{api="v1",zone="a",le="0.5"} 0
app_latency_seconds_bucket{api="v1",zone="a",le="1"} 0
app_latency_seconds_bucket{api="v1",zone="a",le="2.5"} 0
app_latency_seconds_bucket{api="v1",zone="a",le="+Inf"} 1
app_latency_seconds_sum{api="v1",zone="a"} 100
app_latency_seconds_count{api="v1",zone="a"} 1
app_latency_seconds_bucket{api="v1",zone="b",le="0.025"} 1
app_latency_seconds_bucket{api="v1",zone="b",le="0.5"} 2
app_latency_seconds_bucket{api="v1",zone="b",le="1"} 4
app_latency_seconds_bucket{api="v1",zone="b",le="2.5"} 4
app_latency_seconds_bucket{api="v1",zone="b",le="+Inf"} 5
app_latency_seconds_sum{api="v1",zone="b"} 5.21
app_latency_seconds_count{api="v1",zone="b"} 5
`,
		},
		{
			"special values",
			func(e *Exposition) {
				e.Add(noHelp, math.NaN(), L("v", "nan"))
				e.Add(noHelp, math.Inf(1), L("v", "inf"))
				e.Add(noHelp, math.Inf(-1), L("v", "minf"))
				e.Add(noHelp, 1.795546800123e9, L("v", "time"))
			},
			"# TYPE app_up gauge\napp_up{v=\"inf\"} +Inf\napp_up{v=\"minf\"} -Inf\napp_up{v=\"nan\"} NaN\napp_up{v=\"time\"} 1.795546800123e+09\n",
		},
	} {
		t.Run(c.name, func(t *testing.T) {
			var e Exposition
			c.add(&e)
			var sb strings.Builder
			n, err := e.WriteTo(&sb)
			if err != nil {
				t.Fatal(err)
			}
			if got := sb.String(); got != c.want {
				t.Errorf("got:\n%s\nwant:\n%s", got, c.want)
			}
			if n != int64(sb.Len()) {
				t.Errorf("WriteTo returned %d, wrote %d bytes", n, sb.Len())
			}
			// Rendering again gives the same text.
			again, err := e.AppendText([]byte("prefix\n"))
			if err != nil || string(again) != "prefix\n"+c.want {
				t.Errorf("AppendText again: %q, %v", again, err)
			}
		})
	}
}

func TestExpositionMistakes(t *testing.T) {
	h := mustHistogram(t, []float64{1})
	for _, c := range []struct {
		name string
		add  func(*Exposition)
		want string
	}{
		{"bad metric name", func(e *Exposition) { e.Add(Desc{Name: "app-up", Type: Gauge}, 1) }, `"app-up" is not a valid metric name`},
		{"bad label name", func(e *Exposition) { e.Add(noHelp, 1, L("a.b", "x")) }, `app_up: "a.b" is not a valid label name`},
		{"reserved label name", func(e *Exposition) { e.Add(noHelp, 1, L("__name__", "x")) }, `"__name__" is not a valid label name`},
		{"empty label name", func(e *Exposition) { e.Add(noHelp, 1, L("", "x")) }, `"" is not a valid label name`},
		{"label twice", func(e *Exposition) { e.Add(noHelp, 1, L("a", "x"), L("a", "y")) }, "the label a is given twice"},
		{"le on a histogram", func(e *Exposition) { e.AddHistogram(latency, h, L("le", "1")) }, "cannot have the label le"},
		{"histogram through Add", func(e *Exposition) { e.Add(latency, 1) }, "app_latency_seconds is a histogram: Add takes a counter or a gauge"},
		{"gauge through AddHistogram", func(e *Exposition) { e.AddHistogram(noHelp, h) }, "app_up is a gauge: AddHistogram takes a histogram"},
		{"unknown type", func(e *Exposition) { e.Add(Desc{Name: "x", Type: "summary"}, 1) }, "x is a summary"},
		{"described two ways", func(e *Exposition) {
			e.Add(noHelp, 1, L("a", "1"))
			e.Add(Desc{Name: "app_up", Help: "Other.", Type: Gauge}, 1, L("a", "2"))
		}, "app_up is described two ways"},
		{"same series twice", func(e *Exposition) {
			e.Add(requests, 1, L("a", "1"), L("b", "2"))
			e.Add(requests, 2, L("b", "2"), L("a", "1"))
		}, `app_requests_total{a="1",b="2"} is given twice`},
		{"the first mistake is kept", func(e *Exposition) {
			e.Add(noHelp, 1, L("1", "x"))
			e.Add(Desc{Name: "bad name", Type: Gauge}, 1)
		}, `"1" is not a valid label name`},
	} {
		t.Run(c.name, func(t *testing.T) {
			var e Exposition
			c.add(&e)
			var sb strings.Builder
			_, err := e.WriteTo(&sb)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("WriteTo: %v, want an error with %q", err, c.want)
			}
			if sb.Len() != 0 {
				t.Errorf("WriteTo wrote %q despite the mistake", sb.String())
			}
		})
	}
}

func TestNewHistogram(t *testing.T) {
	for _, bounds := range [][]float64{{1, 1}, {2, 1}, {1, math.Inf(1)}, {math.NaN()}} {
		if _, err := NewHistogram(bounds); err == nil {
			t.Errorf("NewHistogram(%v) accepted", bounds)
		}
	}
	bounds := []float64{1, 2}
	h := mustHistogram(t, bounds, 1, 2, 3, 0.5)
	bounds[0] = 5 // NewHistogram kept a copy
	if h.Count() != 4 || h.Sum() != 6.5 || h.counts[0] != 2 || h.counts[1] != 1 || h.counts[2] != 1 {
		t.Errorf("after observing 1, 2, 3, 0.5: count %d, sum %v, buckets %v", h.Count(), h.Sum(), h.counts)
	}
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestWriteToError(t *testing.T) {
	var e Exposition
	e.Add(noHelp, 1)
	if _, err := e.WriteTo(failingWriter{}); err == nil || !strings.Contains(err.Error(), "writing the metrics: disk full") {
		t.Errorf("WriteTo a failing writer: %v", err)
	}
}

func BenchmarkExposition(b *testing.B) {
	h, err := NewHistogram([]float64{0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30})
	if err != nil {
		b.Fatal(err)
	}
	h.Observe(0.3)
	var buf []byte
	b.ReportAllocs()
	for b.Loop() {
		var e Exposition
		for _, room := range []string{"hall", "kitchen", "attic", "cellar", "garage", "study"} {
			e.Add(temp, 21.5, L("room", room))
		}
		e.Add(requests, 1234, L("path", "/a"), L("code", "200"))
		e.AddHistogram(latency, h)
		if buf, err = e.AppendText(buf[:0]); err != nil {
			b.Fatal(err)
		}
	}
}
