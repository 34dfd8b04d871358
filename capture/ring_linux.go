//go:build linux

package capture

import (
	"fmt"
	"io"
	"math/bits"
	"os"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"
)

// ring is an AF_PACKET socket with a TPACKET_V3 receive ring, read in
// place: the kernel fills blocks of packets in memory shared with ftpsniff,
// which walks each block and hands it back; no system call per packet, and
// none at all while blocks are ready.
//
// It is written over x/sys/unix rather than with gopacket's afpacket
// package, which reads the same ring, because a fanout group keyed by
// ftpsniff's own program needs setsockopt(PACKET_FANOUT_DATA) on the
// socket, whose descriptor afpacket keeps to itself; and the reader below
// is short, allocates nothing per packet, and can be woken to stop.
type ring struct {
	name     string
	fd       int
	wake     int // eventfd: Close writes to it to end a poll
	mem      []byte
	blockSz  int
	nblocks  int
	tov      time.Duration // the kernel retires a block after this long
	snap     int
	loopback bool

	// The reader's position: the block being walked (cur < 0: none), the
	// packets left in it and the offset of the next one.
	block  int
	cur    int
	left   int
	offset int

	closing atomic.Bool
	stopIn  int        // once closing: blocks still read before io.EOF (0: not counted yet)
	mu      sync.Mutex // guards fd and mem against release; stats below
	freed   bool
	recv    uint64
	drops   uint64
}

// Block offsets (struct tpacket_block_desc, struct tpacket_hdr_v1).
const (
	blkStatus   = 8
	blkNumPkts  = 12
	blkFirstPkt = 16
)

// Packet offsets (struct tpacket3_hdr, then struct sockaddr_ll).
const (
	pktNext     = 0
	pktSec      = 4
	pktNsec     = 8
	pktSnaplen  = 12
	pktLen      = 16
	pktMac      = 24
	pktSll      = 48 // TPACKET_ALIGN(sizeof(struct tpacket3_hdr))
	sllPkttype  = 10
	blockTimout = 50 * time.Millisecond
)

// RingGeometry returns the block size and count of a ring of about kib KiB
// for packets of at most snap bytes: blocks of the smallest power of two
// (at least a page) that holds one packet of snap bytes with its headers,
// so that nothing is cut that the snap length keeps, but small enough that
// the ring has at least 8 blocks (the kernel fills one while ftpsniff reads
// the others); a packet longer than a block is then cut to the block.
func RingGeometry(kib, snap int) (blockSize, blocks int) {
	page := os.Getpagesize()
	total := max(kib, 64) * 1024
	bs := 1 << bits.Len(uint(snap+pktSll+32+64-1)) // headers and alignment
	bs = max(bs, page)
	for bs > page && total/bs < 8 {
		bs /= 2
	}
	return bs, max(total/bs, 2)
}

// openRing opens a socket on the interface with ifindex, with its ring and
// the kernel filter attached before it is bound (so that nothing unfiltered
// gets in).
func openRing(name string, ifindex int, loopback bool, o LiveOptions, filter []bpf.RawInstruction) (*ring, error) {
	fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_RAW|unix.SOCK_CLOEXEC, 0) // not bound yet: receives nothing
	if err != nil {
		return nil, err
	}
	r := &ring{name: name, fd: fd, wake: -1, cur: -1, loopback: loopback, tov: blockTimout}
	fail := func(what string, err error) (*ring, error) {
		r.release()
		if what == "" {
			return nil, err
		}
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	if err := attachFilter(fd, filter); err != nil {
		return fail("kernel filter", err)
	}
	if err := unix.SetsockoptInt(fd, unix.SOL_PACKET, unix.PACKET_VERSION, unix.TPACKET_V3); err != nil {
		return fail("TPACKET_V3", err)
	}
	r.snap = o.Snaplen
	if r.snap <= 0 || r.snap > MaxRecordLength {
		r.snap = MaxRecordLength
	}
	kib := o.BufferKiB
	if kib <= 0 {
		kib = DefaultBufferKiB
	}
	r.blockSz, r.nblocks = RingGeometry(kib, r.snap)
	req := unix.TpacketReq3{
		Block_size:     uint32(r.blockSz),
		Block_nr:       uint32(r.nblocks),
		Frame_size:     uint32(r.blockSz),
		Frame_nr:       uint32(r.nblocks),
		Retire_blk_tov: uint32(r.tov / time.Millisecond),
	}
	if err := unix.SetsockoptTpacketReq3(fd, unix.SOL_PACKET, unix.PACKET_RX_RING, &req); err != nil {
		return fail(fmt.Sprintf("a ring of %d blocks of %d KiB (-B)", r.nblocks, r.blockSz/1024), err)
	}
	r.mem, err = unix.Mmap(fd, 0, r.blockSz*r.nblocks, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED|unix.MAP_POPULATE)
	if err != nil {
		return fail("mapping the ring", err)
	}
	if r.wake, err = unix.Eventfd(0, unix.EFD_CLOEXEC|unix.EFD_NONBLOCK); err != nil {
		return fail("eventfd", err)
	}
	sll := unix.SockaddrLinklayer{Protocol: htons(unix.ETH_P_ALL), Ifindex: ifindex}
	if err := unix.Bind(fd, &sll); err != nil {
		return fail("", err)
	}
	if o.Promiscuous {
		mreq := unix.PacketMreq{Ifindex: int32(ifindex), Type: unix.PACKET_MR_PROMISC}
		if err := unix.SetsockoptPacketMreq(fd, unix.SOL_PACKET, unix.PACKET_ADD_MEMBERSHIP, &mreq); err != nil {
			return fail("promiscuous mode", err)
		}
	}
	return r, nil
}

func htons(v uint16) uint16 { return v<<8 | v>>8 }

// dropAll is a kernel filter that keeps nothing: the sockets of a fanout
// group hold it until every one has joined, so that no packet reaches a
// worker before the group has all its members.
var dropAll = []bpf.RawInstruction{{Op: 0x06, K: 0}} // ret #0

func attachFilter(fd int, filter []bpf.RawInstruction) error {
	prog := unix.SockFprog{Len: uint16(len(filter)), Filter: (*unix.SockFilter)(unsafe.Pointer(&filter[0]))}
	return unix.SetsockoptSockFprog(fd, unix.SOL_SOCKET, unix.SO_ATTACH_FILTER, &prog)
}

// joinFanout adds the socket to fanout group id of type PACKET_FANOUT_CBPF
// (id 0: a new group with an id the kernel picks, which is returned), and,
// when prog is set, gives the group its program.
func (r *ring) joinFanout(id uint16, prog []bpf.RawInstruction) (uint16, error) {
	typ := unix.PACKET_FANOUT_CBPF
	if id == 0 {
		typ |= unix.PACKET_FANOUT_FLAG_UNIQUEID
	}
	if err := unix.SetsockoptInt(r.fd, unix.SOL_PACKET, unix.PACKET_FANOUT, int(id)|typ<<16); err != nil {
		return 0, fmt.Errorf("fanout group: %w", err)
	}
	if id == 0 {
		v, err := unix.GetsockoptInt(r.fd, unix.SOL_PACKET, unix.PACKET_FANOUT)
		if err != nil {
			return 0, fmt.Errorf("fanout group: %w", err)
		}
		id = uint16(v)
	}
	if prog != nil {
		fp := unix.SockFprog{Len: uint16(len(prog)), Filter: (*unix.SockFilter)(unsafe.Pointer(&prog[0]))}
		if err := unix.SetsockoptSockFprog(r.fd, unix.SOL_PACKET, unix.PACKET_FANOUT_DATA, &fp); err != nil {
			return 0, fmt.Errorf("fanout program: %w", err)
		}
	}
	return id, nil
}

func (r *ring) u32(off int) uint32 { return *(*uint32)(unsafe.Pointer(&r.mem[off])) }

func (r *ring) status(b int) *uint32 {
	return (*uint32)(unsafe.Pointer(&r.mem[b*r.blockSz+blkStatus]))
}

// ReadRecord returns the next packet; its Data is in the ring, valid until
// the next call. After Close it returns the packets already in the ring,
// waits one block timeout for the kernel to hand over the block it was
// filling, and then returns io.EOF (and lets go of the ring).
func (r *ring) ReadRecord(rec *Record) error {
	waited := false
	for {
		for r.left > 0 {
			pkt := r.cur*r.blockSz + r.offset
			next := int(r.u32(pkt + pktNext))
			r.left--
			r.offset += next
			if r.loopback && r.mem[pkt+pktSll+sllPkttype] == unix.PACKET_OUTGOING {
				// A packet sent on loopback reaches the socket as it goes
				// out and again as it comes in: keep the second, as libpcap
				// does.
				continue
			}
			capLen := int(r.u32(pkt + pktSnaplen))
			wire := int(r.u32(pkt + pktLen))
			mac := pkt + int(*(*uint16)(unsafe.Pointer(&r.mem[pkt+pktMac])))
			capLen = min(capLen, r.snap, len(r.mem)-mac)
			rec.Data = r.mem[mac : mac+capLen : mac+capLen]
			rec.Time = time.Unix(int64(r.u32(pkt+pktSec)), int64(r.u32(pkt+pktNsec))).UTC()
			rec.CapLen = capLen
			rec.WireLen = max(wire, capLen)
			rec.Link = LinkType(1) // Ethernet
			rec.Iface = 0
			return nil
		}
		if r.cur >= 0 {
			// Every packet of the block was read: hand it back.
			atomic.StoreUint32(r.status(r.cur), unix.TP_STATUS_KERNEL)
			r.cur = -1
			r.block = (r.block + 1) % r.nblocks
		}
		if r.freed {
			return io.EOF
		}
		closing := r.closing.Load()
		if closing {
			// What the ring held at Close, not what keeps coming.
			if r.stopIn == 0 {
				r.stopIn = r.nblocks + 1
			}
			if r.stopIn--; r.stopIn == 0 {
				r.release()
				return io.EOF
			}
		}
		if atomic.LoadUint32(r.status(r.block))&unix.TP_STATUS_USER != 0 {
			base := r.block * r.blockSz
			r.cur, r.left, r.offset = r.block, int(r.u32(base+blkNumPkts)), int(r.u32(base+blkFirstPkt))
			continue
		}
		if closing {
			if waited {
				r.release()
				return io.EOF
			}
			waited = true
			if err := r.poll(int(2 * r.tov / time.Millisecond)); err != nil {
				r.release()
				return err
			}
			continue
		}
		if err := r.poll(-1); err != nil {
			r.release()
			return err
		}
	}
}

// poll waits until the kernel hands over a block, Close is called (once
// closing, only the socket is watched), or timeout ms pass.
func (r *ring) poll(timeout int) error {
	arr := [2]unix.PollFd{{Fd: int32(r.fd), Events: unix.POLLIN | unix.POLLERR}, {Fd: int32(r.wake), Events: unix.POLLIN}}
	n := 2
	if timeout >= 0 {
		n = 1
	}
	for {
		_, err := unix.Poll(arr[:n], timeout)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return fmt.Errorf("interface %s: poll: %v", r.name, err)
		}
		if arr[0].Revents&unix.POLLERR != 0 {
			if e, _ := unix.GetsockoptInt(r.fd, unix.SOL_SOCKET, unix.SO_ERROR); e != 0 {
				return fmt.Errorf("interface %s: %v", r.name, unix.Errno(e))
			}
		}
		return nil
	}
}

// pollStats adds the kernel's counters, which it resets on every read.
// The caller holds mu.
func (r *ring) pollStats() {
	if r.freed {
		return
	}
	if st, err := unix.GetsockoptTpacketStatsV3(r.fd, unix.SOL_PACKET, unix.PACKET_STATISTICS); err == nil {
		r.recv += uint64(st.Packets) // the kernel counts the dropped in
		r.drops += uint64(st.Drops)
	}
}

// Drops returns what the kernel passed to the socket (after its filter)
// and what it dropped for want of room in the ring, since the start.
func (r *ring) Drops() (received, dropped uint64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.pollStats()
	return r.recv, r.drops
}

// Close ends the capture: the reader returns what the ring holds, then
// io.EOF. Only the reader lets go of the ring (its last record may still
// be in use); a ring never read again is let go at exit.
func (r *ring) Close() error {
	if r.closing.Swap(true) {
		return nil
	}
	r.mu.Lock()
	r.pollStats()
	r.mu.Unlock()
	var one [8]byte
	one[0] = 1
	if r.wake >= 0 {
		unix.Write(r.wake, one[:])
	}
	return nil
}

// release closes the socket and unmaps the ring, once.
func (r *ring) release() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.freed {
		return
	}
	r.pollStats()
	r.freed = true
	if r.mem != nil {
		unix.Munmap(r.mem)
		r.mem = nil
	}
	unix.Close(r.fd)
	if r.wake >= 0 {
		unix.Close(r.wake)
	}
}
