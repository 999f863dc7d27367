// Package lab builds a throw-away network for testing spotwatch for real: Linux network
// namespaces joined by veth pairs, a router in the middle where faults are injected with the
// kernel's own tools (iptables, routes, links, queues), and helpers to listen, dial and run
// commands inside each namespace. Nothing in it is mocked: a "firewall drop" is an iptables DROP
// rule on a router that packets really cross.
//
// # Topology (one Lab, one random 8-hex-digit id per run)
//
//	swc-ID  client   eth0 198.51.100.10/24, default via 198.51.100.1 (eth0 may be renamed, e.g. wg0)
//	swr-ID  router   toclient 198.51.100.1/24, toserver 203.0.113.1/24, IPv4 forwarding on
//	sws-ID  servers  eth0 203.0.113.2/24 plus every server address of the Plan, default via .1
//
// The veths are created inside the namespaces, so nothing ever appears in the host's namespace,
// and no lab interface has a path to the host's network. IPv6 is disabled in the lab
// namespaces, so the byte counters see only the traffic under test. 203.0.113.2 (Plan.Probe)
// belongs to the lab itself: it runs echo servers (TCP 7, 80, 443, 4070; UDP 7) that the lab
// uses to prove the topology at start and each fault when it is applied.
//
// The client namespace gets its own /etc/resolv.conf and /etc/hosts through /etc/netns/swc-ID/,
// which `ip netns exec` (used by [Lab.Command]) bind-mounts over /etc in a private mount
// namespace. [Lab.Command] also gives the client a clean environment: proxy variables and
// SSL_CERT_FILE/SSL_CERT_DIR of the host are dropped, [Lab.SetEnv] and [Lab.TrustCA] add the
// lab's own.
//
// # Faults
//
// Every fault method applies the fault, then proves it is in place before returning it: the
// rules are read back from the kernel and a probe from the client namespace must both fail the
// expected way (refused, reset, timeout, unreachable, delayed, lost) and be counted by the rule
// that is meant to cause that. If the proof fails, the fault is removed again and the method
// returns an [*Error]: a broken lab is a lab error, never a wrong diagnosis. [Fault.Undo]
// removes a fault; [Lab.Close] removes everything. Verification probes go to the fault's own
// targets (Plan.Probe where it has none) and close at once, so a DNAT or portal target sees one
// empty connection per applied fault. Faults combine (a renamed uplink plus a drop is the VPN
// case); one that cannot be proven on top of another (a drop behind a removed route) is a lab
// error. [Lab.Delay] and [Lab.Loss] act on the packets the router forwards to the client, as
// netem on the router's client link would: a round trip grows by the delay, and each answer is
// lost with the probability. [Fault.Hits] counts the packets a fault's rules met, to prove after
// a scenario that the software under test ran into the fault.
//
// # Use
//
//	l := lab.NewForTest(t, lab.Config{})             // fails (never skips) without root
//	p := l.Plan()
//	ln, _ := l.Listen(lab.Servers, "tcp4", lab.Addr(p.Spotify, 443))
//	srv, _ := testnet.StartHTTPS(ln, cert, handler)  // any server that takes a listener
//	t.Cleanup(func() { srv.Close() })                // registered after the lab: stops first
//	l.TrustCA(ca.PEM())                              // SSL_CERT_FILE for client commands
//	f, err := l.RejectTCPReset(ctx, netip.PrefixFrom(p.Spotify, 32)) // applied and proven
//	before, _ := l.Counters(ctx)
//	out, err := l.Command(ctx, bin, "check", "--json").Output()      // runs in the client
//	after, _ := l.Counters(ctx)                      // after.Sub(before): bytes of one check
//	hits, _ := f.Hits(ctx)                           // > 0: the check really met the fault
//
// # Teardown
//
// [Lab.Close] kills the processes left in the lab namespaces, closes every listener made with
// [Lab.Listen], deletes the namespaces (and with them every veth) and /etc/netns/NAME, and checks
// that they are gone. A run that is interrupted with SIGINT, SIGTERM or SIGHUP tears its labs
// down before it dies. A run that is killed outright leaves a state file in /run/spotwatch-lab
// naming its process: the next [New] (or [Sweep]) removes every lab whose process is gone.
//
// # What this kernel offers (measured on the 6.18 Debian 12 machines used here)
//
//   - iptables 1.8.9 with the nf_tables backend (iptables-nft) is the default `iptables`; the
//     legacy backend is compiled in too. Rules use iptables syntax so that the xt matches work
//     through nft_compat: `-m string --algo bm`, `-m statistic --mode random`, `-m comment`,
//     REJECT --reject-with tcp-reset, DNAT and the NFQUEUE target.
//   - Native nft cannot queue packets here (CONFIG_NFT_QUEUE is off), which is why rules are
//     written with iptables, whose NFQUEUE target is xt_NFQUEUE.
//   - sch_netem is absent (`tc qdisc add … netem` answers "Specified qdisc kind is unknown"), and
//     so is WireGuard. [Lab.Delay] therefore queues packets to the client with NFQUEUE and
//     releases them from a small netlink program in this process after the delay;
//     [Lab.Loss] drops them with `-m statistic --mode random --probability P -j DROP`. Where
//     netem exists, it is used instead (unless [Config].NoNetem). A VPN uplink is the client's
//     veth renamed wg0 ([Lab.RenameUplink]).
//
// Tools needed on the machine: iproute2 (ip, tc), iptables. Tests need root; they must fail,
// not skip, when namespaces cannot be made.
package lab
