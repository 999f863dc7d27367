package diagnosis

import (
	"crypto/x509"
	"strings"
)

// interceptor names a TLS-inspection product by a fragment of its CA's subject. The list is data
// (DESIGN.md §5): add a product by adding a line.
type interceptor struct {
	product  string
	fragment string // matched case-insensitively against the CN and O of every certificate in the chain
}

var interceptors = []interceptor{
	{"Kaspersky", "Kaspersky Anti-Virus Personal Root"},
	{"Kaspersky", "Kaspersky Lab"},
	{"Avast", "avast! Web/Mail Shield"},
	{"AVG", "AVG Web/Mail Shield"},
	{"ESET", "ESET SSL Filter"},
	{"Bitdefender", "Bitdefender Personal CA"},
	{"Norton", "Norton Web/Mail Shield"},
	{"McAfee Web Gateway", "McAfee Web Gateway"},
	{"Zscaler", "Zscaler"},
	{"Fortinet FortiGate", "FortiGate CA"},
	{"Fortinet FortiGate", "Fortinet"},
	{"Cisco Umbrella", "Cisco Umbrella"},
	{"Sophos", "Sophos SSL CA"},
	{"Sophos", "sophosutm Proxy CA"},
	{"Forcepoint", "Forcepoint Cloud CA"},
	{"Blue Coat", "Blue Coat"},
	{"Smoothwall", "Smoothwall"},
	{"Cyberoam", "Cyberoam"},
	{"SonicWall", "SonicWALL"},
	{"ContentKeeper", "ContentKeeper"},
	{"Netskope", "caadmin.netskope.com"},
	{"Netskope", "Netskope"},
}

// matchInterceptor returns the inspection product named anywhere in the chain, or "".
func matchInterceptor(chain []*x509.Certificate) string {
	for _, cert := range chain {
		for _, name := range append(nameParts(cert.Subject.CommonName, cert.Subject.Organization), nameParts(cert.Issuer.CommonName, cert.Issuer.Organization)...) {
			lower := strings.ToLower(name)
			for _, ic := range interceptors {
				if strings.Contains(lower, strings.ToLower(ic.fragment)) {
					return ic.product
				}
			}
		}
	}
	return ""
}

func nameParts(cn string, orgs []string) []string {
	return append([]string{cn}, orgs...)
}
