//go:build linux

package capture

import (
	"errors"
	"fmt"
	"net"
	"os/user"
	"strconv"
	"syscall"

	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"
)

// OpenInterface starts a live capture on the named interface: an AF_PACKET
// socket reading a TPACKET_V3 ring of o.BufferKiB (see RingGeometry), with
// the kernel filter attached. It needs CAP_NET_RAW (root, or
// `setcap cap_net_raw+ep` on the binary).
func OpenInterface(name string, o LiveOptions) (Interface, error) {
	ins, err := OpenWorkers(name, 1, o)
	if err != nil {
		return nil, err
	}
	return ins[0], nil
}

// OpenWorkers starts a live capture on the named interface read by n
// sockets, each with its own ring of o.BufferKiB: with n > 1 they form one
// PACKET_FANOUT_CBPF group keyed by FanoutProgram, so that each packet
// reaches one socket, and every packet between two hosts the same one.
// Each group is new: two calls (two capture points, or the same interface
// twice) never share packets.
func OpenWorkers(name string, n int, o LiveOptions) ([]Interface, error) {
	ifc, err := net.InterfaceByName(name)
	if err != nil {
		return nil, fmt.Errorf("interface %s does not exist (`ip link` lists the interfaces)", name)
	}
	loopback := ifc.Flags&net.FlagLoopback != 0
	filter := o.Filter
	if filter == nil {
		filter = DefaultFilter()
	}
	first := filter
	if n > 1 {
		first = dropAll // until every socket is in the group
	}
	rings := make([]*ring, 0, n)
	fail := func(err error) ([]Interface, error) {
		for _, r := range rings {
			r.release()
		}
		if errors.Is(err, unix.EPERM) || errors.Is(err, unix.EACCES) {
			return nil, fmt.Errorf("interface %s: live capture needs the CAP_NET_RAW capability: run as root, or give the binary the capability once with `sudo setcap cap_net_raw+ep $(which ftpsniff)`", name)
		}
		return nil, fmt.Errorf("interface %s: %v", name, err)
	}
	var group uint16
	for i := range n {
		r, err := openRing(name, ifc.Index, loopback, o, first)
		if err != nil {
			return fail(err)
		}
		rings = append(rings, r)
		if n > 1 {
			var prog []bpf.RawInstruction
			if i == 0 {
				prog = FanoutProgram()
			}
			if group, err = r.joinFanout(group, prog); err != nil {
				return fail(err)
			}
		}
	}
	out := make([]Interface, n)
	for i, r := range rings {
		if n > 1 {
			if err := attachFilter(r.fd, filter); err != nil {
				return fail(fmt.Errorf("kernel filter: %w", err))
			}
		}
		out[i] = r
	}
	return out, nil
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
