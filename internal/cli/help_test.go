package cli

import (
	"bytes"
	"context"
	"regexp"
	"strings"
	"testing"
)

// singleDashFlag finds a flag spelled with one dash ("-config", "[-json]"); help spells flags
// with two, as the README does.
var singleDashFlag = regexp.MustCompile(`(^|[\s\[|(])-[a-zA-Z]`)

// TestHelpEveryCommand: `help COMMAND` and `COMMAND --help` print the same help for every
// command, with its usage line first and every flag spelled with two dashes.
func TestHelpEveryCommand(t *testing.T) {
	for _, c := range commands() {
		t.Run(c.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			if got := Main(context.Background(), []string{"help", c.name}, &out, &errOut); got != exitOK {
				t.Fatalf("help %s: exit %d, want 0\n%s", c.name, got, errOut.String())
			}
			if errOut.Len() != 0 {
				t.Errorf("help %s wrote to stderr:\n%s", c.name, errOut.String())
			}
			help := out.String()
			if want := "Usage: spotwatch " + c.name; !strings.HasPrefix(help, want) {
				t.Errorf("help %s does not start with %q:\n%s", c.name, want, help)
			}
			if m := singleDashFlag.FindString(help); m != "" {
				t.Errorf("help %s spells a flag with one dash (%q):\n%s", c.name, m, help)
			}

			var flagOut, flagErr bytes.Buffer
			if got := Main(context.Background(), []string{c.name, "--help"}, &flagOut, &flagErr); got != exitOK {
				t.Fatalf("%s --help: exit %d, want 0", c.name, got)
			}
			if flagErr.String() != help {
				t.Errorf("%s --help differs from help %s:\n%s\nwant:\n%s", c.name, c.name, flagErr.String(), help)
			}
		})
	}
}

// TestGeneralHelpListsEveryCommand: the general help has a usage line for each command.
func TestGeneralHelpListsEveryCommand(t *testing.T) {
	for _, c := range commands() {
		if !regexp.MustCompile(`(?m)^  spotwatch (\S+\|)?` + c.name + `\b`).MatchString(usage) {
			t.Errorf("the general help has no usage line for %q", c.name)
		}
	}
	if m := singleDashFlag.FindString(usage); m != "" {
		t.Errorf("the general help spells a flag with one dash (%q)", m)
	}
}

// TestHelpErrors: what `help` refuses, and the spellings that mean help or version.
func TestHelpErrors(t *testing.T) {
	tests := []struct {
		args   []string
		status int
		out    string // expected in stdout or stderr
	}{
		{[]string{"help", "frobnicate"}, exitUsage, `spotwatch help: unknown command "frobnicate"; the commands are: check, daemon`},
		{[]string{"help", "check", "status"}, exitUsage, `unexpected argument "status"`},
		{[]string{"help", "--json"}, exitUsage, "flag provided but not defined"},
		{[]string{"help"}, exitOK, "Exit status of check"},
		{[]string{"--help"}, exitOK, "Exit status of check"},
		{[]string{"-h"}, exitOK, "Exit status of check"},
		{[]string{"--version"}, exitOK, "spotwatch "},
		{[]string{"version", "now"}, exitUsage, `unexpected argument "now"`},
		{[]string{"frobnicate"}, exitUsage, `unknown command "frobnicate"`},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			var out, errOut bytes.Buffer
			if got := Main(context.Background(), tt.args, &out, &errOut); got != tt.status {
				t.Errorf("exit %d, want %d\n%s%s", got, tt.status, out.String(), errOut.String())
			}
			if !strings.Contains(out.String()+errOut.String(), tt.out) {
				t.Errorf("output lacks %q:\n%s%s", tt.out, out.String(), errOut.String())
			}
		})
	}
}
