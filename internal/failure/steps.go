package failure

// The steps of a probe, the `detail.step` field of `spotwatch check --json`: where a failure
// happened. Like the failure strings they are part of the output contract and never change.
const (
	StepDNS     = "dns"     // resolving a name
	StepConnect = "connect" // opening the TCP connection
	StepProxy   = "proxy"   // the proxy's CONNECT exchange
	StepTLS     = "tls"     // the TLS handshake and the certificate checks
	StepHTTP    = "http"    // the HTTP request and its answer
)
