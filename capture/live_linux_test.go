//go:build linux

package capture

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ftpsniff/ftpsniff/internal/suite"
	"golang.org/x/sys/unix"
)

// The live tests capture in a network namespace of their own, so that
// nothing else on the machine adds packets: on its loopback, and on a veth
// pair into which they write crafted Ethernet frames.

// netns makes a namespace with lo up and, with veth set, a veth pair v0-v1.
func netns(t *testing.T, veth bool) string {
	t.Helper()
	if os.Geteuid() != 0 {
		suite.Skip(t, "not root: live capture needs raw sockets and network namespaces; run `sudo go test ./capture`", suite.Live)
	}
	name := fmt.Sprintf("ftpsniff-cap-%d-%d", os.Getpid(), time.Now().UnixNano()%1e6)
	// No IPv6 of the namespace's own (its neighbour discovery would add
	// packets); the frames written may still be IPv6.
	cmds := [][]string{{"netns", "add", name}, {"netns", "exec", name, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.default.disable_ipv6=1"},
		{"-n", name, "link", "set", "lo", "up"}}
	if veth {
		cmds = append(cmds, []string{"-n", name, "link", "add", "v0", "type", "veth", "peer", "name", "v1"},
			[]string{"-n", name, "link", "set", "v0", "up"}, []string{"-n", name, "link", "set", "v1", "up"})
	}
	t.Cleanup(func() { exec.Command("ip", "netns", "del", name).Run() })
	for _, c := range cmds {
		if out, err := exec.Command("ip", c...).CombinedOutput(); err != nil {
			suite.Unavailable(t, fmt.Sprintf("ip %s: %v: %s", strings.Join(c, " "), err, out), suite.Live)
		}
	}
	return name
}

// inNetns runs fn on a thread in the namespace: the sockets it opens stay
// there.
func inNetns(t *testing.T, name string, fn func()) {
	t.Helper()
	done := make(chan error)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread ends with the goroutine
		f, err := os.Open("/var/run/netns/" + name)
		if err == nil {
			err = unix.Setns(int(f.Fd()), unix.CLONE_NEWNET)
			f.Close()
		}
		if err == nil {
			fn()
		}
		done <- err
	}()
	if err := <-done; err != nil {
		t.Fatalf("entering namespace %s: %v", name, err)
	}
}

// readLive reads records until none came for a while, copying their data.
func readLive(t *testing.T, in Interface, quiet time.Duration) [][]byte {
	t.Helper()
	var out [][]byte
	got := make(chan []byte)
	go func() {
		var rec Record
		for {
			err := in.ReadRecord(&rec)
			if err != nil {
				if !errors.Is(err, io.EOF) {
					t.Errorf("ReadRecord: %v", err)
				}
				close(got)
				return
			}
			if rec.Link != LinkType(1) || rec.CapLen != len(rec.Data) || rec.WireLen < rec.CapLen ||
				time.Since(rec.Time) > time.Minute || time.Since(rec.Time) < -time.Second {
				t.Errorf("record: link %d, caplen %d of %d bytes, wire %d, time %v", rec.Link, rec.CapLen, len(rec.Data), rec.WireLen, rec.Time)
			}
			got <- append([]byte(nil), rec.Data...)
		}
	}()
	for {
		select {
		case b, ok := <-got:
			if !ok {
				return out
			}
			out = append(out, b)
		case <-time.After(quiet):
			in.Close()
			for b := range got { // what the ring still held
				out = append(out, b)
			}
			return out
		}
	}
}

func TestLiveLoopback(t *testing.T) {
	ns := netns(t, false)
	var in Interface
	var ln net.Listener
	inNetns(t, ns, func() {
		var err error
		if in, err = OpenInterface("lo", LiveOptions{}); err != nil {
			t.Errorf("OpenInterface(lo): %v", err)
			return
		}
		if ln, err = net.Listen("tcp", "127.0.0.1:2121"); err != nil {
			t.Errorf("listen: %v", err)
			return
		}
		go func() {
			c, err := ln.Accept()
			if err == nil {
				c.Write([]byte("220 ready\r\n"))
				c.Close()
			}
		}()
		c, err := net.Dial("tcp", "127.0.0.1:2121")
		if err != nil {
			t.Errorf("dial: %v", err)
			return
		}
		io.ReadAll(c)
		c.Close()
		// UDP is not for ftpsniff: the kernel filter keeps it out.
		if u, err := net.Dial("udp", "127.0.0.1:9"); err == nil {
			u.Write([]byte("not captured"))
			u.Close()
		}
	})
	if t.Failed() {
		return
	}
	defer ln.Close()
	frames := readLive(t, in, 300*time.Millisecond)
	syns, greetings := 0, 0
	for _, f := range frames {
		if len(f) < 34 || f[12] != 8 || f[13] != 0 {
			continue
		}
		if f[23] == 17 {
			t.Errorf("a UDP packet passed the kernel filter")
		}
		if f[23] == 6 && len(f) >= 54 && f[47]&0x12 == 0x02 { // SYN without ACK
			syns++
		}
		if strings.Contains(string(f), "220 ready") {
			greetings++
		}
	}
	// Loopback hands every packet to the socket twice (out and in): once.
	if syns != 1 || greetings != 1 {
		t.Errorf("captured %d SYNs and %d greetings on lo, want 1 and 1 (%d frames)", syns, greetings, len(frames))
	}
	if rcv, drop := in.Drops(); rcv < uint64(len(frames)) || drop != 0 {
		t.Errorf("Drops() = %d received, %d dropped; %d frames were read", rcv, drop, len(frames))
	}
}

// sendFrames writes frames on the namespace's v0 (they arrive on v1).
func sendFrames(t *testing.T, ns string, frames [][]byte) {
	t.Helper()
	inNetns(t, ns, func() {
		fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_RAW, 0)
		if err != nil {
			t.Errorf("socket: %v", err)
			return
		}
		defer unix.Close(fd)
		ifc, err := net.InterfaceByName("v0")
		if err != nil {
			t.Errorf("v0: %v", err)
			return
		}
		to := &unix.SockaddrLinklayer{Ifindex: ifc.Index, Halen: 6}
		for _, f := range frames {
			for {
				err = unix.Sendto(fd, f, 0, to)
				if err != unix.ENOBUFS {
					break
				}
				time.Sleep(time.Millisecond)
			}
			if err != nil {
				t.Errorf("sendto: %v", err)
				return
			}
		}
	})
}

func TestLiveFanoutByHostPair(t *testing.T) {
	ns := netns(t, true)
	var workers []Interface
	inNetns(t, ns, func() {
		var err error
		if workers, err = OpenWorkers("v1", 2, LiveOptions{}); err != nil {
			t.Errorf("OpenWorkers(v1, 2): %v", err)
		}
	})
	if t.Failed() {
		return
	}
	// 32 host pairs, each with a control and a data connection both ways,
	// IPv4 and IPv6, some frames with an 802.1Q tag.
	var frames [][]byte
	for i := range 32 {
		c, s := fmt.Sprintf("10.1.%d.%d", i/8, 1+i%8), "10.9.0.21"
		c6, s6 := fmt.Sprintf("2001:db8::%x", i+1), "2001:db8:9::21"
		var tags []uint16
		if i%4 == 0 {
			tags = []uint16{0x8100}
		}
		frames = append(frames,
			tcp4(nil, c, 40000, s, 21), tcp4(tags, s, 21, c, 40000),
			tcp4(tags, c, 40001, s, 50000+uint16(i)), tcp4(nil, s, 50000+uint16(i), c, 40001),
			tcp6(nil, c6, 40000, s6, 21), tcp6(tags, s6, 21, c6, 40000),
			tcp6(nil, s6, 20, c6, 40100), tcp6(tags, c6, 40100, s6, 20))
	}
	sendFrames(t, ns, frames)
	var wg sync.WaitGroup
	got := make([][][]byte, len(workers))
	for i, w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got[i] = readLive(t, w, 300*time.Millisecond)
		}()
	}
	wg.Wait()
	// pair names a frame's host pair, whatever the direction, tag or port.
	pair := func(f []byte) string {
		if f[12] == 0x81 {
			f = append(append([]byte(nil), f[:12]...), f[16:]...)
		}
		var a, b net.IP
		switch {
		case f[12] == 8 && f[13] == 0:
			a, b = net.IP(f[26:30]), net.IP(f[30:34])
		case f[12] == 0x86 && f[13] == 0xdd:
			a, b = net.IP(f[22:38]), net.IP(f[38:54])
		default:
			return "other"
		}
		if a.String() > b.String() {
			a, b = b, a
		}
		return a.String() + " " + b.String()
	}
	where := map[string]int{}
	total := 0
	for w, fs := range got {
		total += len(fs)
		for _, f := range fs {
			p := pair(f)
			if prev, ok := where[p]; ok && prev != w {
				t.Errorf("host pair %s reached workers %d and %d", p, prev, w)
			}
			where[p] = w
		}
	}
	if total != len(frames) {
		t.Errorf("the workers read %d frames (%d and %d), %d were sent", total, len(got[0]), len(got[1]), len(frames))
	}
	if len(got[0]) == 0 || len(got[1]) == 0 {
		t.Errorf("one worker got everything: %d and %d frames", len(got[0]), len(got[1]))
	}
	var rcv, drop uint64
	for _, w := range workers {
		r, d := w.Drops()
		rcv, drop = rcv+r, drop+d
	}
	if rcv != uint64(len(frames)) || drop != 0 {
		t.Errorf("the kernel counted %d received, %d dropped; %d were sent", rcv, drop, len(frames))
	}
}

func TestLiveDropsCounted(t *testing.T) {
	ns := netns(t, true)
	var in Interface
	inNetns(t, ns, func() {
		var err error
		// The smallest ring: 8 blocks of 8 KiB.
		if in, err = OpenInterface("v1", LiveOptions{BufferKiB: 64}); err != nil {
			t.Errorf("OpenInterface(v1): %v", err)
		}
	})
	if t.Failed() {
		return
	}
	// 2,000 frames of 1,000 bytes, none read while they come: the ring
	// holds about 64 of them.
	const n = 2000
	frame := ether(nil, 0x0800, ip4("10.0.0.1", "10.0.0.2", 6, 0, append(tcpHeader(40000, 21), make([]byte, 946)...)))
	frames := make([][]byte, n)
	for i := range frames {
		frames[i] = frame
	}
	sendFrames(t, ns, frames)
	read := readLive(t, in, 300*time.Millisecond)
	rcv, drop := in.Drops()
	if rcv != n || drop == 0 || rcv-drop != uint64(len(read)) || len(read) < 32 {
		t.Errorf("Drops() = %d received, %d dropped, and %d were read; %d were sent into a 64 KiB ring", rcv, drop, len(read), n)
	}
	for _, f := range read {
		if len(f) != len(frame) {
			t.Errorf("a %d-byte frame was read as %d bytes", len(frame), len(f))
			break
		}
	}
}

func TestLiveReadAllocatesNothing(t *testing.T) {
	ns := netns(t, true)
	var in Interface
	inNetns(t, ns, func() {
		var err error
		if in, err = OpenInterface("v1", LiveOptions{}); err != nil {
			t.Errorf("OpenInterface(v1): %v", err)
		}
	})
	if t.Failed() {
		return
	}
	defer in.Close()
	frames := make([][]byte, 600)
	for i := range frames {
		frames[i] = tcp4(nil, "10.0.0.1", 40000, "10.0.0.2", uint16(i))
	}
	sendFrames(t, ns, frames)
	var rec Record
	if err := in.ReadRecord(&rec); err != nil {
		t.Fatal(err)
	}
	if n := testing.AllocsPerRun(500, func() {
		if err := in.ReadRecord(&rec); err != nil {
			t.Fatal(err)
		}
	}); n != 0 {
		t.Errorf("ReadRecord allocates %.1f times per packet", n)
	}
}
