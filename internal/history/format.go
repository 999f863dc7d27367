package history

import (
	"bytes"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"io"
	"log/slog"
	"os"
	"slices"
	"time"
)

// Record is one state change, or (Kind set) a stretch of time in which spotwatch did not watch.
type Record struct {
	Kind     string        `json:"kind,omitempty"`        // "": a state change; KindStopped or KindAsleep: a gap from Time for Duration
	Time     time.Time     `json:"time"`                  // when the new state (or the gap) began
	Code     int           `json:"code"`                  // Spotify error code 0, 4 or 7; -1 for unknown/checking
	Cause    string        `json:"cause"`                 // stable cause id, e.g. "dns_filtered"
	Title    string        `json:"title"`                 // one-line title of the new state
	Summary  string        `json:"summary"`               // what was found
	Short    string        `json:"short_cause,omitempty"` // the cause as a short phrase naming the product, e.g. "blocked by Pi-hole"
	Previous string        `json:"previous,omitempty"`    // the cause before
	Duration time.Duration `json:"duration_ns"`           // how long the previous state lasted; for a gap, how long the gap lasted
}

// Damage describes one region of a history file that held no valid record and was skipped.
type Damage struct {
	Offset int64  `json:"offset"` // byte offset in the file
	Length int64  `json:"length"` // bytes skipped
	Reason string `json:"reason"` // why the first line of the region is invalid
}

func (d Damage) String() string {
	return fmt.Sprintf("bytes %d-%d: %s", d.Offset, d.Offset+d.Length, d.Reason)
}

const (
	// readLimit bounds what Read loads: a history file larger than this (MaxBytes is capped
	// below it) is not one this package wrote, and only its newest readLimit bytes are read.
	readLimit = 64 << 20
	// maxLenDigits bounds the length field: a record line is never longer than readLimit.
	maxLenDigits = 8
	// reasonTorn is the reason given for an unterminated last line, the mark of a write cut
	// short by a crash (or of a record being written while Read runs).
	reasonTorn = "incomplete last record (no newline): write cut short"
)

// frame encodes r as one history line: "<crc32c of json, 8 lowercase hex> <len of json> <json>\n".
func frame(r Record) ([]byte, error) {
	js, err := json.Marshal(r)
	if err != nil {
		return nil, fmt.Errorf("encoding history record: %w", err)
	}
	// json.Marshal escapes control characters, so js holds no newline.
	line := make([]byte, 0, len(js)+20)
	line = fmt.Appendf(line, "%08x %d ", checksum(js), len(js))
	line = append(line, js...)
	return append(line, '\n'), nil
}

func checksum(b []byte) uint32 {
	return crc32.Checksum(b, crc32.MakeTable(crc32.Castagnoli))
}

// parseLine decodes one line (without its newline). It returns a reason when the line is
// not a valid record.
func parseLine(line []byte) (Record, string) {
	var r Record
	if len(line) < 12 || line[8] != ' ' {
		return r, "not a record line"
	}
	sum, ok := parseHex8(line[:8])
	if !ok {
		return r, "bad checksum field"
	}
	rest := line[9:]
	sp := bytes.IndexByte(rest, ' ')
	if sp < 1 || sp > maxLenDigits || rest[0] == '0' {
		return r, "bad length field"
	}
	n := 0
	for _, c := range rest[:sp] {
		if c < '0' || c > '9' {
			return r, "bad length field"
		}
		n = n*10 + int(c-'0')
	}
	js := rest[sp+1:]
	if len(js) != n {
		return r, fmt.Sprintf("length mismatch: field says %d, line holds %d", n, len(js))
	}
	if checksum(js) != sum {
		return r, "checksum mismatch"
	}
	if js[0] != '{' {
		return r, "record is not a JSON object"
	}
	if err := json.Unmarshal(js, &r); err != nil {
		return Record{}, "undecodable record: " + err.Error()
	}
	return r, ""
}

func parseHex8(b []byte) (uint32, bool) {
	var v uint32
	for _, c := range b {
		switch {
		case c >= '0' && c <= '9':
			v = v<<4 | uint32(c-'0')
		case c >= 'a' && c <= 'f':
			v = v<<4 | uint32(c-'a'+10)
		default:
			return 0, false
		}
	}
	return v, true
}

// span is the byte range [off, end) of one valid line, newline included.
type span struct{ off, end int64 }

// parsed is a decoded history file.
type parsed struct {
	records []Record
	lines   []span // where each record's line is, parallel to records
	damage  []Damage
	data    []byte // the bytes read
	base    int64  // the file offset of data[0]
	size    int64  // the file offset of the end of data
}

// tornTailOnly reports whether the only damage is an unterminated fragment after the last
// valid record: what a crash during an append leaves, repaired by truncating.
func (p *parsed) tornTailOnly() bool {
	return len(p.damage) == 1 && p.damage[0].Reason == reasonTorn
}

// parse decodes data, which starts at file offset base. Adjacent invalid lines are reported
// as one Damage region, named after the first of them.
func parse(data []byte, base int64) parsed {
	p := parsed{data: data, base: base, size: base + int64(len(data))}
	extra := 0 // invalid lines merged into the last damage region
	flush := func() {
		if extra > 0 {
			d := &p.damage[len(p.damage)-1]
			d.Reason = fmt.Sprintf("%s (and %d more invalid lines)", d.Reason, extra)
			extra = 0
		}
	}
	bad := func(off, end int64, reason string) {
		if n := len(p.damage); n > 0 && p.damage[n-1].Offset+p.damage[n-1].Length == off {
			p.damage[n-1].Length += end - off
			extra++
			return
		}
		flush()
		p.damage = append(p.damage, Damage{Offset: off, Length: end - off, Reason: reason})
	}
	for pos := 0; pos < len(data); {
		off := base + int64(pos)
		nl := bytes.IndexByte(data[pos:], '\n')
		if nl < 0 {
			if n := len(p.damage); n > 0 && p.damage[n-1].Offset+p.damage[n-1].Length == off {
				bad(off, p.size, "")
			} else {
				bad(off, p.size, reasonTorn)
			}
			break
		}
		line := data[pos : pos+nl]
		end := off + int64(nl) + 1
		if r, reason := parseLine(line); reason != "" {
			bad(off, end, reason)
		} else {
			flush()
			p.records = append(p.records, r)
			p.lines = append(p.lines, span{off, end})
		}
		pos += nl + 1
	}
	flush()
	return p
}

// readRaw reads f, or its newest readLimit bytes when it is larger; base is the file offset
// of data[0].
func readRaw(f *os.File) (data []byte, base int64, err error) {
	info, err := f.Stat()
	if err != nil {
		return nil, 0, fmt.Errorf("reading history: %w", err)
	}
	if size := info.Size(); size > readLimit {
		base = size - readLimit
	}
	data, err = io.ReadAll(io.NewSectionReader(f, base, readLimit))
	if err != nil {
		return nil, 0, fmt.Errorf("reading history %s: %w", f.Name(), err)
	}
	return data, base, nil
}

// readFile reads f with readRaw and decodes it.
func readFile(f *os.File) (parsed, error) {
	data, base, err := readRaw(f)
	if err != nil {
		return parsed{}, err
	}
	p := parse(data, base)
	if base > 0 {
		skipped := Damage{Offset: 0, Length: base, Reason: "file larger than 64 MiB: older part not read"}
		if len(p.damage) > 0 && p.damage[0].Offset == base {
			skipped.Length += p.damage[0].Length
			p.damage[0] = skipped
		} else {
			p.damage = append([]Damage{skipped}, p.damage...)
		}
	}
	return p, nil
}

// lastRecords returns the newest n valid records of data, oldest first: the tail of
// parse(data).records, decoding only the lines it needs from the end.
func lastRecords(data []byte, n int) []Record {
	var out []Record
	end := bytes.LastIndexByte(data, '\n') // what follows is an incomplete record
	for end >= 0 && len(out) < n {
		start := bytes.LastIndexByte(data[:end], '\n') + 1
		if r, reason := parseLine(data[start:end]); reason == "" {
			out = append(out, r)
		}
		end = start - 1
	}
	slices.Reverse(out)
	return out
}

// Read returns the valid records of the history file at path, oldest first, and the damaged
// regions it skipped, each also logged at warning level when logger is not nil. It never
// changes the file, so it is safe to run beside a daemon that appends to it (a record being
// written then shows as an incomplete last record). The error is for I/O only; a missing file
// gives an error wrapping fs.ErrNotExist.
func Read(path string, logger *slog.Logger) (records []Record, damage []Damage, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, fmt.Errorf("opening history: %w", err)
	}
	defer f.Close()
	p, err := readFile(f)
	if err != nil {
		return nil, nil, err
	}
	if logger != nil {
		for _, d := range p.damage {
			logger.Warn("history: skipped a damaged region", "path", path,
				"offset", d.Offset, "length", d.Length, "reason", d.Reason)
		}
	}
	return p.records, p.damage, nil
}
