// Package fleet holds what an administrator needs to watch many desktops running spotwatch
// from one Prometheus (README, "Fleet"; docs/design.md, "The fleet"): the alerting rules
// (prometheus/spotwatch-rules.yml, with their promtool unit tests) and a Grafana dashboard
// (grafana/spotwatch-fleet.json). They are embedded here for the tests that prove them: this
// package's tests run promtool on them and check every metric they name against what the
// daemon writes, and internal/lab's TestLabFleet loads them into a real Prometheus scraping a
// simulated fleet.
package fleet

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"strings"
)

// Rules is prometheus/spotwatch-rules.yml.
//
//go:embed prometheus/spotwatch-rules.yml
var Rules string

// Dashboard is grafana/spotwatch-fleet.json.
//
//go:embed grafana/spotwatch-fleet.json
var Dashboard string

// PanelQuery is one PromQL query of a dashboard panel.
type PanelQuery struct {
	Panel string // the panel's title
	RefID string // the query's id within the panel
	Expr  string // the query with the dashboard's variables set for every site
}

// DashboardQueries returns every query of the dashboard's panels, with $site standing for
// every site (".*", the dashboard's "All"), ready to send to Prometheus. It fails on a
// dashboard that does not parse or a panel without a query.
func DashboardQueries() ([]PanelQuery, error) {
	var d struct {
		Panels []struct {
			ID      int    `json:"id"`
			Title   string `json:"title"`
			Targets []struct {
				RefID string `json:"refId"`
				Expr  string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
	}
	if err := json.Unmarshal([]byte(Dashboard), &d); err != nil {
		return nil, fmt.Errorf("parsing the dashboard: %w", err)
	}
	var out []PanelQuery
	for _, p := range d.Panels {
		if len(p.Targets) == 0 {
			return nil, fmt.Errorf("dashboard panel %d %q has no query", p.ID, p.Title)
		}
		for _, t := range p.Targets {
			if strings.TrimSpace(t.Expr) == "" {
				return nil, fmt.Errorf("dashboard panel %d %q: query %s is empty", p.ID, p.Title, t.RefID)
			}
			out = append(out, PanelQuery{Panel: p.Title, RefID: t.RefID, Expr: strings.ReplaceAll(t.Expr, "$site", ".*")})
		}
	}
	return out, nil
}
