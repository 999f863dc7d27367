package testnet

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/miekg/dns"
)

// DNSServer is a DNS server (UDP and/or TCP) answering from a Zone. Its Zone's methods (SetA,
// SetMode, SetModeSuffix, SetDefaultMode, …) change the answers while it runs.
type DNSServer struct {
	*Zone
	servers  []*dns.Server
	udpAddr  string
	tcpAddr  string
	queries  atomic.Int64
	wg       sync.WaitGroup
	closeErr error
	once     sync.Once
}

// StartDNS serves a new, empty Zone on udp and tcp; either may be nil, not both.
func StartDNS(udp net.PacketConn, tcp net.Listener) (*DNSServer, error) {
	return StartDNSZone(NewZone(), udp, tcp)
}

// StartDNSZone serves zone on udp and tcp; either may be nil, not both.
func StartDNSZone(zone *Zone, udp net.PacketConn, tcp net.Listener) (*DNSServer, error) {
	if udp == nil && tcp == nil {
		return nil, errors.New("starting DNS server: no UDP socket and no TCP listener")
	}
	s := &DNSServer{Zone: zone}
	if udp != nil {
		s.udpAddr = udp.LocalAddr().String()
		if err := s.start(&dns.Server{PacketConn: udp}); err != nil {
			return nil, fmt.Errorf("starting DNS over UDP on %s: %w", s.udpAddr, err)
		}
	}
	if tcp != nil {
		s.tcpAddr = tcp.Addr().String()
		if err := s.start(&dns.Server{Listener: tcp}); err != nil {
			_ = s.Close()
			return nil, fmt.Errorf("starting DNS over TCP on %s: %w", s.tcpAddr, err)
		}
	}
	return s, nil
}

// StartLocalDNS serves a new, empty Zone on 127.0.0.1, UDP and TCP on the same port.
func StartLocalDNS() (*DNSServer, error) {
	var lastErr error
	for range 10 {
		udp, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("listening for DNS over UDP: %w", err)
		}
		tcp, err := net.Listen("tcp", udp.LocalAddr().String())
		if err != nil { // the port is taken for TCP: try another
			lastErr = err
			_ = udp.Close()
			continue
		}
		return StartDNS(udp, tcp)
	}
	return nil, fmt.Errorf("listening for DNS over TCP on the UDP port: %w", lastErr)
}

func (s *DNSServer) start(srv *dns.Server) error {
	started := make(chan struct{})
	failed := make(chan error, 1)
	srv.Handler = dns.HandlerFunc(s.serveDNS)
	srv.NotifyStartedFunc = func() { close(started) }
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		if err := srv.ActivateAndServe(); err != nil {
			failed <- err
		}
	}()
	select {
	case <-started:
		s.servers = append(s.servers, srv)
		return nil
	case err := <-failed:
		return err
	}
}

func (s *DNSServer) serveDNS(w dns.ResponseWriter, req *dns.Msg) {
	s.queries.Add(1)
	m := s.Respond(req)
	if m == nil {
		return // Silent
	}
	if _, ok := w.RemoteAddr().(*net.UDPAddr); ok {
		size := dns.MinMsgSize
		if opt := req.IsEdns0(); opt != nil {
			size = int(opt.UDPSize())
		}
		m.Truncate(size)
	}
	_ = w.WriteMsg(m)
}

// Addr returns the UDP address (host:port), or the TCP one for a TCP-only server.
func (s *DNSServer) Addr() string {
	if s.udpAddr != "" {
		return s.udpAddr
	}
	return s.tcpAddr
}

// UDPAddr returns the UDP address, "" if the server has no UDP socket.
func (s *DNSServer) UDPAddr() string { return s.udpAddr }

// TCPAddr returns the TCP address, "" if the server has no TCP listener.
func (s *DNSServer) TCPAddr() string { return s.tcpAddr }

// Queries returns how many queries the server received (Silent ones included).
func (s *DNSServer) Queries() int { return int(s.queries.Load()) }

// Resolver returns a Go resolver that sends every query to this server (UDP queries to the UDP
// address, TCP ones to the TCP address), whatever resolv.conf says.
func (s *DNSServer) Resolver() *net.Resolver {
	return &net.Resolver{
		PreferGo: true,
		Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
			addr := s.udpAddr
			if network == "tcp" || network == "tcp4" || network == "tcp6" || addr == "" {
				addr = s.tcpAddr
				if addr == "" {
					addr = s.udpAddr
					network = "udp"
				}
			}
			var d net.Dialer
			return d.DialContext(ctx, network, addr)
		},
	}
}

// Close stops the server and waits for its goroutines.
func (s *DNSServer) Close() error {
	s.once.Do(func() {
		for _, srv := range s.servers {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			if err := srv.ShutdownContext(ctx); err != nil && s.closeErr == nil {
				s.closeErr = fmt.Errorf("shutting down DNS server: %w", err)
			}
			cancel()
		}
		s.wg.Wait()
	})
	return s.closeErr
}
