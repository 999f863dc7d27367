package diagnosis

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCauseTable holds every row of the cause table to its contract: a diagnosis has a rule, a
// fix for each OS and a golden file per OS; a state (checking, internal_error) has no rule; ids
// are unique and Cause.Code reads the table.
func TestCauseTable(t *testing.T) {
	table := Causes()
	seen := map[Cause]bool{}
	for i, info := range table {
		t.Run(string(info.ID), func(t *testing.T) {
			if info.ID == "" || seen[info.ID] {
				t.Fatalf("row %d: empty or repeated id %q", i, info.ID)
			}
			seen[info.ID] = true
			if got := info.ID.Code(); got != info.Code {
				t.Errorf("Code() = %d, the table says %d", got, info.Code)
			}
			if !info.Diagnosis {
				if info.rule != nil {
					t.Errorf("a state with a rule: Classify would diagnose it")
				}
				if info.Code != CodeUnknown {
					t.Errorf("a state with code %d, want %d", info.Code, CodeUnknown)
				}
				return
			}
			if info.rule == nil {
				t.Errorf("a diagnosis without a rule")
			}
			if info.Code != CodeOK && info.Code != CodeNoInternet && info.Code != CodeBlocked {
				t.Errorf("a diagnosis with code %d", info.Code)
			}
			if !info.MonitorState {
				t.Errorf("a diagnosis the Monitor's state cannot be (no spotwatch_state label)")
			}
			if info.texts.title == nil || info.texts.short == nil || info.texts.summary == nil || info.texts.steps == nil {
				t.Fatalf("a diagnosis with missing texts: %+v", info.texts)
			}
			for _, goos := range goosList {
				if _, _, steps := Describe(info.ID, realistic(info.ID, goos), goos); len(steps) == 0 {
					t.Errorf("no fix for %s", goos)
				}
				golden := filepath.Join("testdata", "fixes", string(info.ID)+"_"+goos+".golden")
				if _, err := os.Stat(golden); err != nil {
					t.Errorf("no golden file for %s: %v", goos, err)
				}
			}
		})
	}
	for _, state := range []Cause{CauseChecking, CauseInternalError} {
		if info, ok := causeInfo(state); !ok || info.Diagnosis {
			t.Errorf("%s: not in the table as a state", state)
		}
	}
	if info, _ := causeInfo(CauseChecking); !info.MonitorState {
		t.Errorf("checking is a Monitor state (spotwatch_state exports it)")
	}
	if info, _ := causeInfo(CauseInternalError); info.MonitorState {
		t.Errorf("internal_error is never the Monitor's state")
	}
	var last Cause
	for _, info := range table {
		if info.rule != nil {
			last = info.ID
		}
	}
	if last != CauseUnknown {
		t.Errorf("the last rule is %s: unknown must come last, it applies to any failure", last)
	}
	if got := Cause("made_up").Code(); got != CodeBlocked {
		t.Errorf("an id the table does not hold: code %d, want %d", got, CodeBlocked)
	}
}

// TestUnexplainedAlwaysApplies: the last rule names a cause for any report, so Classify always
// decides.
func TestUnexplainedAlwaysApplies(t *testing.T) {
	for _, rep := range []Report{{}, {Probes: []Probe{{Role: RoleSpotify, Target: "ap.spotify.com:4070", Failure: "eof_error"}}}} {
		if _, _, ok := unexplained(rep, newEvidence(rep.Probes)); !ok {
			t.Errorf("unexplained does not apply to %+v", rep)
		}
	}
}

// TestDiagnosisCarriesProductAndShort: Classify puts the product and the short phrase in the
// diagnosis, so no consumer has to take them out of the title.
func TestDiagnosisCarriesProductAndShort(t *testing.T) {
	files, err := filepath.Glob("testdata/reports/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no golden reports: %v", err)
	}
	products := 0
	for _, file := range files {
		rep := readReport(t, file)
		d := Classify(rep)
		if d.Short == "" {
			t.Errorf("%s: no short phrase", file)
		}
		if d.Product != "" {
			products++
			if productNamed(d.Product).name == "" {
				t.Errorf("%s: product %q is not in the product table", file, d.Product)
			}
		}
	}
	if products == 0 {
		t.Errorf("no golden report names a product")
	}
	d := Classify(readReport(t, "testdata/reports/block_page-loopback-block-page-over-https.json"))
	if d.Product != "FortiGuard" || d.Short != "blocked by FortiGuard" || !strings.HasPrefix(d.Title, d.Product) {
		t.Errorf("block page: product %q, short %q, title %q", d.Product, d.Short, d.Title)
	}
}

func readReport(t *testing.T, file string) Report {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var rep Report
	if err := json.Unmarshal(data, &rep); err != nil {
		t.Fatalf("parsing %s: %v", file, err)
	}
	return rep
}
