//go:build linux

package lab

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// A minimal NFQUEUE client (nfnetlink_queue, see linux/netfilter/nfnetlink_queue.h): it binds a
// queue in the router namespace, reads the packets iptables' NFQUEUE target hands it and
// accepts each one a fixed delay after it arrived. It stands in for `netem delay`, which this
// kernel lacks.

const (
	nfnlSubsysQueue    = 3
	nfqnlMsgPacket     = 0
	nfqnlMsgVerdict    = 1
	nfqnlMsgConfig     = 2
	nfqaCfgCmd         = 1
	nfqaCfgParams      = 2
	nfqaCfgQueueMaxlen = 3
	nfqaPacketHdr      = 1
	nfqaVerdictHdr     = 2
	nfqnlCfgCmdBind    = 1
	nfqnlCopyPacket    = 2
	nfAccept           = 1
	nlaTypeMask        = 0x3fff
	nlmsgHdrLen        = 16
	nfgenHdrLen        = 4
)

// delayer releases queued packets d after they arrived, in arrival order.
type delayer struct {
	l     *Lab
	f     *os.File
	queue uint16
	d     time.Duration

	held    chan heldPacket
	stop    chan struct{} // closed when the delayer must stop waiting
	done    sync.WaitGroup
	closing sync.Once
	errMu   sync.Mutex
	err     error // first error of the read or verdict loop
}

type heldPacket struct {
	id  uint32
	due time.Time
}

func startDelayer(l *Lab, queue uint16, d time.Duration) (*delayer, error) {
	var fd int
	err := l.inNS(Router, func() error {
		var err error
		fd, err = unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC|unix.SOCK_NONBLOCK, unix.NETLINK_NETFILTER)
		if err != nil {
			return fmt.Errorf("opening netfilter netlink socket: %w", err)
		}
		if err := unix.Bind(fd, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
			unix.Close(fd)
			return fmt.Errorf("binding netfilter netlink socket: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, 4<<20)
	dl := &delayer{
		l:     l,
		f:     os.NewFile(uintptr(fd), fmt.Sprintf("nfqueue-%d", queue)),
		queue: queue,
		d:     d,
		held:  make(chan heldPacket, 8192),
		stop:  make(chan struct{}),
	}
	cmd := []byte{nfqnlCfgCmdBind, 0, 0, unix.AF_INET} // command, pad, pf (big endian)
	params := binary.BigEndian.AppendUint32(nil, 128)  // copy range: headers are enough
	params = append(params, nfqnlCopyPacket)
	maxlen := binary.BigEndian.AppendUint32(nil, 8192)
	for _, attr := range [][]byte{nlattr(nfqaCfgCmd, cmd), nlattr(nfqaCfgParams, params), nlattr(nfqaCfgQueueMaxlen, maxlen)} {
		if err := dl.request(nfqnlMsgConfig, attr); err != nil {
			dl.f.Close()
			return nil, fmt.Errorf("configuring nfqueue %d: %w", queue, err)
		}
	}
	dl.done.Add(2)
	go dl.readLoop()
	go dl.verdictLoop()
	return dl, nil
}

// nlattr encodes one netlink attribute, padded to 4 bytes.
func nlattr(typ uint16, data []byte) []byte {
	b := binary.NativeEndian.AppendUint16(nil, uint16(4+len(data)))
	b = binary.NativeEndian.AppendUint16(b, typ)
	b = append(b, data...)
	for len(b)%4 != 0 {
		b = append(b, 0)
	}
	return b
}

// message encodes an nfnetlink_queue message for this queue.
func (dl *delayer) message(typ uint16, flags uint16, attrs ...[]byte) []byte {
	n := nlmsgHdrLen + nfgenHdrLen
	for _, a := range attrs {
		n += len(a)
	}
	b := binary.NativeEndian.AppendUint32(nil, uint32(n))
	b = binary.NativeEndian.AppendUint16(b, nfnlSubsysQueue<<8|typ)
	b = binary.NativeEndian.AppendUint16(b, unix.NLM_F_REQUEST|flags)
	b = binary.NativeEndian.AppendUint32(b, 0) // seq
	b = binary.NativeEndian.AppendUint32(b, 0) // port id: the kernel fills it in
	b = append(b, unix.AF_UNSPEC, 0)           // nfgenmsg: family, version
	b = binary.BigEndian.AppendUint16(b, dl.queue)
	for _, a := range attrs {
		b = append(b, a...)
	}
	return b
}

// request sends a message that asks for an acknowledgement and waits for it.
func (dl *delayer) request(typ uint16, attrs ...[]byte) error {
	if _, err := dl.f.Write(dl.message(typ, unix.NLM_F_ACK, attrs...)); err != nil {
		return err
	}
	dl.f.SetReadDeadline(time.Now().Add(2 * time.Second))
	defer dl.f.SetReadDeadline(time.Time{})
	buf := make([]byte, 4096)
	n, err := dl.f.Read(buf)
	if err != nil {
		return fmt.Errorf("reading netlink acknowledgement: %w", err)
	}
	b := buf[:n]
	if len(b) < nlmsgHdrLen+4 || binary.NativeEndian.Uint16(b[4:]) != unix.NLMSG_ERROR {
		return fmt.Errorf("unexpected netlink answer %x", b)
	}
	if code := int32(binary.NativeEndian.Uint32(b[nlmsgHdrLen:])); code != 0 {
		return syscall.Errno(-code)
	}
	return nil
}

func (dl *delayer) fail(err error) {
	dl.errMu.Lock()
	defer dl.errMu.Unlock()
	if dl.err == nil {
		dl.err = err
		dl.l.log.Error("nfqueue delayer", "queue", dl.queue, "err", err)
	}
}

// readLoop takes packets from the queue and schedules their release.
func (dl *delayer) readLoop() {
	defer dl.done.Done()
	defer close(dl.held)
	buf := make([]byte, 1<<16)
	for {
		n, err := dl.f.Read(buf)
		if errors.Is(err, unix.ENOBUFS) {
			dl.fail(errors.New("netlink receive buffer overrun: packets were lost"))
			continue
		}
		if err != nil {
			return // closed
		}
		now := time.Now()
		for b := buf[:n]; len(b) >= nlmsgHdrLen; {
			size := int(binary.NativeEndian.Uint32(b))
			if size < nlmsgHdrLen || size > len(b) {
				break
			}
			msg := b[:size]
			b = b[min((size+3)&^3, len(b)):]
			switch typ := binary.NativeEndian.Uint16(msg[4:]); {
			case typ == unix.NLMSG_ERROR && len(msg) >= nlmsgHdrLen+4:
				if code := int32(binary.NativeEndian.Uint32(msg[nlmsgHdrLen:])); code != 0 {
					dl.fail(fmt.Errorf("verdict refused: %w", syscall.Errno(-code)))
				}
			case typ == nfnlSubsysQueue<<8|nfqnlMsgPacket:
				if id, ok := packetID(msg[nlmsgHdrLen+nfgenHdrLen:]); ok {
					dl.held <- heldPacket{id: id, due: now.Add(dl.d)}
				}
			}
		}
	}
}

// packetID finds NFQA_PACKET_HDR in a packet message's attributes.
func packetID(attrs []byte) (uint32, bool) {
	for len(attrs) >= 4 {
		size := int(binary.NativeEndian.Uint16(attrs))
		typ := binary.NativeEndian.Uint16(attrs[2:]) & nlaTypeMask
		if size < 4 || size > len(attrs) {
			return 0, false
		}
		if typ == nfqaPacketHdr && size >= 8 {
			return binary.BigEndian.Uint32(attrs[4:]), true
		}
		attrs = attrs[min((size+3)&^3, len(attrs)):]
	}
	return 0, false
}

// verdictLoop accepts each held packet when it is due.
func (dl *delayer) verdictLoop() {
	defer dl.done.Done()
	for p := range dl.held {
		if wait := time.Until(p.due); wait > 0 {
			t := time.NewTimer(wait)
			select {
			case <-t.C:
			case <-dl.stop:
				t.Stop()
			}
		}
		var v [8]byte
		binary.BigEndian.PutUint32(v[:], nfAccept)
		binary.BigEndian.PutUint32(v[4:], p.id)
		if _, err := dl.f.Write(dl.message(nfqnlMsgVerdict, 0, nlattr(nfqaVerdictHdr, v[:]))); err != nil {
			select {
			case <-dl.stop:
			default:
				dl.fail(fmt.Errorf("sending verdict: %w", err))
			}
		}
	}
}

// close stops the delayer. With wait, packets already queued are first released on time
// (the caller has removed the NFQUEUE rule, so no new ones arrive); without, they are dropped.
func (dl *delayer) close(wait bool) error {
	dl.closing.Do(func() {
		if wait {
			time.Sleep(dl.d + 50*time.Millisecond)
		}
		close(dl.stop)
		dl.f.Close()
		dl.done.Wait()
	})
	dl.errMu.Lock()
	defer dl.errMu.Unlock()
	return dl.err
}
