//go:build linux

package capture

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/user"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"

	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// liveInterface captures on a Linux interface with an AF_PACKET socket
// (gopacket's pcapgo.EthernetHandle: pure Go, no libpcap, no cgo).
type liveInterface struct {
	name     string
	h        *pcapgo.EthernetHandle
	loopback bool
	prev     []byte // on loopback, the previous frame (seen twice: out and in)
	closed   atomic.Bool
	mu       sync.Mutex
	received uint64
	dropped  uint64
}

// OpenInterface starts a live capture on the named interface. It needs
// CAP_NET_RAW (root, or `setcap cap_net_raw+ep` on the binary).
func OpenInterface(name string, o LiveOptions) (Interface, error) {
	h, err := pcapgo.NewEthernetHandle(name)
	if err != nil {
		msg := err.Error()
		switch {
		case strings.Contains(msg, "operation not permitted"), errors.Is(err, os.ErrPermission):
			return nil, fmt.Errorf("interface %s: live capture needs the CAP_NET_RAW capability: run as root, or give the binary the capability once with `sudo setcap cap_net_raw+ep $(which ftpsniff)`", name)
		case strings.Contains(msg, "no such network interface"):
			return nil, fmt.Errorf("interface %s does not exist (`ip link` lists the interfaces)", name)
		}
		return nil, fmt.Errorf("interface %s: %v", name, err)
	}
	snap := o.Snaplen
	if snap <= 0 {
		snap = MaxRecordLength
	}
	if err := h.SetCaptureLength(snap); err != nil {
		h.Close()
		return nil, fmt.Errorf("interface %s: snap length: %v", name, err)
	}
	filter := o.Filter
	if filter == nil {
		filter = DefaultFilter()
	}
	if err := h.SetBPF(filter); err != nil {
		h.Close()
		return nil, fmt.Errorf("interface %s: kernel filter: %v", name, err)
	}
	if o.Promiscuous {
		if err := h.SetPromiscuous(true); err != nil {
			h.Close()
			return nil, fmt.Errorf("interface %s: promiscuous mode: %v", name, err)
		}
	}
	l := &liveInterface{name: name, h: h}
	if ifc, err := net.InterfaceByName(name); err == nil && ifc.Flags&net.FlagLoopback != 0 {
		l.loopback = true
	}
	return l, nil
}

func (l *liveInterface) ReadRecord(rec *Record) error {
	data, ci, err := l.h.ZeroCopyReadPacketData()
	for err == nil && l.loopback && bytes.Equal(data, l.prev) {
		// A packet sent on loopback is delivered to the socket as it goes
		// out and again as it comes in: keep one copy, as tcpdump does.
		l.prev = l.prev[:0]
		data, ci, err = l.h.ZeroCopyReadPacketData()
	}
	if err != nil {
		if l.closed.Load() {
			return io.EOF
		}
		return fmt.Errorf("interface %s: %v", l.name, err)
	}
	if l.loopback {
		l.prev = append(l.prev[:0], data...)
	}
	rec.Data = data
	rec.Time = ci.Timestamp.UTC()
	rec.CapLen = ci.CaptureLength
	rec.WireLen = max(ci.Length, ci.CaptureLength)
	rec.Link = layers.LinkTypeEthernet
	rec.Iface = 0
	return nil
}

func (l *liveInterface) pollStats() {
	if st, err := l.h.Stats(); err == nil && st != nil {
		l.mu.Lock()
		// The kernel resets its counters on every read: they add up.
		l.received += uint64(st.Packets)
		l.dropped += uint64(st.Drops)
		l.mu.Unlock()
	}
}

func (l *liveInterface) Drops() (received, dropped uint64) {
	if !l.closed.Load() {
		l.pollStats()
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.received, l.dropped
}

func (l *liveInterface) Close() error {
	if l.closed.Swap(true) {
		return nil
	}
	l.pollStats()
	return l.h.Close()
}

// DropPrivileges switches the process to the named user (and its primary
// group, with no supplementary groups) once the capture sockets are open,
// as tcpdump -Z does: the sockets stay usable, nothing else is root's.
func DropPrivileges(name string) error {
	u, err := user.Lookup(name)
	if err != nil {
		return err
	}
	uid, err1 := strconv.Atoi(u.Uid)
	gid, err2 := strconv.Atoi(u.Gid)
	if err1 != nil || err2 != nil {
		return fmt.Errorf("user %s has no numeric uid/gid", name)
	}
	if err := syscall.Setgroups(nil); err != nil {
		return fmt.Errorf("setgroups: %v", err)
	}
	if err := syscall.Setgid(gid); err != nil {
		return fmt.Errorf("setgid %d: %v", gid, err)
	}
	if err := syscall.Setuid(uid); err != nil {
		return fmt.Errorf("setuid %d: %v", uid, err)
	}
	return nil
}
