// Package testnet runs real servers that reproduce the network faults spotwatch diagnoses:
// a DNS server and a DoH server with per-name failure modes, HTTPS servers with certificates
// from a test CA, Spotify look-alike handlers, block pages, servers that reset, close or hang
// after the TLS ClientHello, an SNI filter, raw TCP access points, captive portals and an HTTP
// proxy.
//
// Every server can be started on a listener the caller provides (Start…(ln, …)), which is how a
// network-namespace lab places it inside a namespace, or on 127.0.0.1 with a random port
// (StartLocal…()). Every server has Addr, which returns host:port, and Close, which stops it,
// closes its connections and waits for its goroutines. Close is safe to call more than once.
//
// Sockets belong to the network namespace they were created in, so servers work from any
// thread once given their listeners. Only outgoing dials (the proxy's upstreams, the DNS
// server's Resolver) happen from the current namespace: a lab supplies its own dial function.
package testnet
