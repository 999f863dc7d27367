//go:build linux

package lab

import (
	"context"
	"fmt"
	"strconv"
	"strings"
)

// Rule is one iptables rule: table (filter when empty), chain, and the rule's matches and
// target as iptables arguments, for example {"", "FORWARD", []string{"-p", "udp", "-j", "DROP"}}.
type Rule struct {
	Table string
	Chain string
	Args  []string
}

func (r Rule) table() string {
	if r.Table == "" {
		return "filter"
	}
	return r.Table
}

// spec is the rule as iptables arguments after the chain, tagged with the fault's comment.
func (r Rule) spec(tag string) []string {
	return append([]string{"-m", "comment", "--comment", tag}, r.Args...)
}

func (r Rule) String() string {
	return fmt.Sprintf("-t %s %s %s", r.table(), r.Chain, strings.Join(r.Args, " "))
}

// iptables runs iptables in a namespace, waiting for the xtables lock (shared by all
// namespaces of the machine).
func (l *Lab) iptables(ctx context.Context, ns NS, args ...string) (string, error) {
	return l.exec(ctx, ns, "iptables", append([]string{"-w", "5"}, args...)...)
}

// addRule appends the rule to its chain, or inserts it at the head if first.
func (l *Lab) addRule(ctx context.Context, ns NS, r Rule, tag string, first bool) error {
	where := []string{"-t", r.table(), "-A", r.Chain}
	if first {
		where = []string{"-t", r.table(), "-I", r.Chain, "1"}
	}
	_, err := l.iptables(ctx, ns, append(where, r.spec(tag)...)...)
	return err
}

func (l *Lab) deleteRule(ctx context.Context, ns NS, r Rule, tag string) error {
	_, err := l.iptables(ctx, ns, append([]string{"-t", r.table(), "-D", r.Chain}, r.spec(tag)...)...)
	return err
}

// checkRule asks the kernel whether the rule is in place (iptables -C).
func (l *Lab) checkRule(ctx context.Context, ns NS, r Rule, tag string) error {
	_, err := l.iptables(ctx, ns, append([]string{"-t", r.table(), "-C", r.Chain}, r.spec(tag)...)...)
	return err
}

// ruleCounters reads the packet counters of the rules tagged tag in one table, in rule order.
func (l *Lab) ruleCounters(ctx context.Context, ns NS, table, tag string) ([]uint64, error) {
	out, err := l.exec(ctx, ns, "iptables-save", "-c", "-t", table)
	if err != nil {
		return nil, err
	}
	return parseCounters(out, tag)
}

// parseCounters picks the packet counts of the rules with comment tag out of `iptables-save -c`
// output, whose rule lines look like `[12:720] -A FORWARD … -m comment --comment TAG … -j DROP`.
func parseCounters(save, tag string) ([]uint64, error) {
	var counts []uint64
	for line := range strings.SplitSeq(save, "\n") {
		if !strings.HasPrefix(line, "[") {
			continue
		}
		fields := splitQuoted(line)
		tagged := false
		for i := 0; i+1 < len(fields); i++ {
			if fields[i] == "--comment" && fields[i+1] == tag {
				tagged = true
			}
		}
		if !tagged {
			continue
		}
		pkts, _, ok := strings.Cut(strings.Trim(fields[0], "[]"), ":")
		if !ok {
			return nil, fmt.Errorf("parsing counters of %q", line)
		}
		n, err := strconv.ParseUint(pkts, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("parsing counters of %q: %w", line, err)
		}
		counts = append(counts, n)
	}
	return counts, nil
}

// splitQuoted splits an iptables-save line into fields; double quotes group (and are removed).
func splitQuoted(s string) []string {
	var fields []string
	var cur strings.Builder
	inQuote, have := false, false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\' && inQuote && i+1 < len(s):
			i++
			cur.WriteByte(s[i])
		case c == '"':
			inQuote, have = !inQuote, true
		case c == ' ' && !inQuote:
			if have {
				fields = append(fields, cur.String())
				cur.Reset()
				have = false
			}
		default:
			cur.WriteByte(c)
			have = true
		}
	}
	if have {
		fields = append(fields, cur.String())
	}
	return fields
}
