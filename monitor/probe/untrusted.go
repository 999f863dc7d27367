package probe

import (
	"github.com/spotwatch/spotwatch/internal/safetext"
	"github.com/spotwatch/spotwatch/monitor/diagnosis"
)

// cleanProbe makes every string of a probe safe to show, at the one place probes enter a report
// (Check). Much of a probe's text comes from the network, and from whoever sits on it: a
// certificate's issuer and subjects, a redirect's Location, apresolve's access-point names (and
// the probe names and targets built from them), error messages quoting what a server sent. Those
// strings end up in summaries, fix steps, evidence lines, notifications and terminals, so none
// may carry control characters, escape sequences or bidi overrides, or be unboundedly long (see
// safetext.Clean). A Location keeps only scheme://host/path: its query and user info can hold
// session tokens, and the user only needs to know which page to open.
//
// Cleaning is the identity on the ordinary values the classifier compares (configured URLs, host
// names, addresses, failure strings), so classification reads a cleaned report as it would the
// raw one.
func cleanProbe(p diagnosis.Probe) diagnosis.Probe {
	p.Name = safetext.Clean(p.Name)
	p.Target = safetext.Clean(p.Target)
	p.Failure = safetext.Clean(p.Failure)
	d := &p.Detail
	d.Addrs = cleanAll(d.Addrs)
	d.Resolver = safetext.Clean(d.Resolver)
	d.RCode = safetext.Clean(d.RCode)
	d.Addr = safetext.Clean(d.Addr)
	d.Via = safetext.RedactProxyURL(d.Via)
	d.SNI = safetext.Clean(d.SNI)
	d.Issuer = safetext.Clean(d.Issuer)
	d.Chain = cleanAll(d.Chain)
	d.Interceptor = safetext.Clean(d.Interceptor)
	d.Location = safetext.URL(d.Location)
	d.BlockPage = safetext.Clean(d.BlockPage)
	d.PageTitle = safetext.Clean(d.PageTitle)
	d.AccessPoints = cleanAll(d.AccessPoints)
	d.Service = safetext.Clean(d.Service)
	d.Step = safetext.Clean(d.Step)
	d.Software = safetext.Clean(d.Software)
	return p
}

// cleanAll cleans each string of list (nil stays nil).
func cleanAll(list []string) []string {
	if list == nil {
		return nil
	}
	out := make([]string, len(list))
	for i, s := range list {
		out[i] = safetext.Clean(s)
	}
	return out
}
