package capture

import "golang.org/x/net/bpf"

// skfLLOff is the kernel's SKF_LL_OFF: a classic BPF load at this offset
// plus k reads byte k of the frame from its link-layer header, wherever the
// socket buffer's data pointer stands. A fanout program runs before the
// packet socket pushes the Ethernet header back (on receive the data
// pointer is at the IP header, on transmit at the Ethernet header), so its
// loads must be relative to the link-layer header to mean the same thing
// in both directions.
const skfLLOff = 0xffe00000 // -0x200000 as a uint32

// FanoutProgram returns the classic BPF program of a PACKET_FANOUT_CBPF
// group that spreads a live capture over workers by host pair: the key is
// the same for a packet from A to B and from B to A, whatever the ports, so
// an FTP session's control connection and all its data connections (which
// join the same two hosts) reach the same worker. The kernel takes the key
// modulo the number of sockets in the group.
//
// The key is the XOR of the source and destination addresses' 32-bit
// words (IPv4, or the eight words of IPv6), folded so that its low bits
// depend on every byte. The frame may carry one or two VLAN tags (802.1Q,
// 802.1ad), although the kernel usually strips the outer one first. An
// ICMP or ICMPv6 error is keyed by the packet it quotes, so it reaches the
// worker of the connection it is about. Anything else (ARP, IPv6 behind
// extension headers when it is an ICMPv6 error) gets a key of its own
// header or 0; the kernel filter drops what ftpsniff does not use anyway.
func FanoutProgram() []bpf.RawInstruction {
	return mustAssemble(fanoutProgram(skfLLOff))
}

// fanoutProgram builds the program with frame offsets relative to base:
// skfLLOff for the kernel, 0 for the userspace VM of the tests.
func fanoutProgram(base uint32) []bpf.Instruction {
	var p program
	// One block per possible position of the EtherType: no tag, one, two.
	for tags := 0; tags <= 2; tags++ {
		l2 := base + uint32(4*tags)
		et := l2 + 12 // the EtherType
		ip := l2 + 14 // the network header
		p.label("eth", tags)
		p.add(bpf.LoadAbsolute{Off: et, Size: 2})
		p.jumpEq(0x0800, "ip4", tags)
		p.jumpEq(0x86dd, "ip6", tags)
		if tags < 2 {
			p.jumpEq(0x8100, "eth", tags+1)
			p.jumpEq(0x88a8, "eth", tags+1)
		}
		p.add(bpf.RetConstant{Val: 0})

		// IPv4: an ICMP error is keyed by the header it quotes, after the
		// outer header (its length in X) and the 8 bytes of ICMP header.
		p.label("ip4", tags)
		p.add(bpf.LoadAbsolute{Off: ip + 9, Size: 1})
		p.jumpNe(1, "ip4key", tags)
		p.add(bpf.LoadMemShift{Off: ip})
		p.add(bpf.LoadIndirect{Off: ip, Size: 1}) // ICMP type
		for _, t := range []uint32{3, 4, 5, 11, 12} {
			p.jumpEq(t, "icmp4", tags)
		}
		p.jump("ip4key", tags)
		p.label("icmp4", tags)
		p.add(bpf.LoadIndirect{Off: ip + 8 + 12, Size: 4})
		// X holds the header length: reload it, and the quoted destination.
		p.add(bpf.StoreScratch{Src: bpf.RegA, N: 0})
		p.add(bpf.LoadMemShift{Off: ip})
		p.add(bpf.LoadIndirect{Off: ip + 8 + 16, Size: 4})
		p.add(bpf.LoadScratch{Dst: bpf.RegX, N: 0})
		p.jump("fold", 0)
		p.label("ip4key", tags)
		p.add(bpf.LoadAbsolute{Off: ip + 12, Size: 4})
		p.add(bpf.TAX{})
		p.add(bpf.LoadAbsolute{Off: ip + 16, Size: 4})
		p.jump("fold", 0)

		// IPv6: an ICMPv6 error (types 1-4) right after the fixed header
		// is keyed by the quoted header, 8 bytes after the outer one's 40.
		p.label("ip6", tags)
		p.add(bpf.LoadAbsolute{Off: ip + 6, Size: 1})
		p.jumpNe(58, "ip6key", tags)
		p.add(bpf.LoadAbsolute{Off: ip + 40, Size: 1})
		p.add(bpf.JumpIf{Cond: bpf.JumpGreaterThan, Val: 4, SkipTrue: 1})
		p.jumpIf(bpf.JumpGreaterOrEqual, 1, "icmp6", tags)
		p.jump("ip6key", tags)
		p.label("icmp6", tags)
		p.xor8(ip + 48 + 8)
		p.jump("fold", 0)
		p.label("ip6key", tags)
		p.xor8(ip + 8)
		p.jump("fold", 0)
	}
	// fold: the key is A ^ X, folded down so that its low bits (what the
	// modulo of a few workers keeps) depend on every byte.
	p.label("fold", 0)
	p.add(bpf.ALUOpX{Op: bpf.ALUOpXor})
	p.add(bpf.TAX{})
	p.add(bpf.ALUOpConstant{Op: bpf.ALUOpShiftRight, Val: 16})
	p.add(bpf.ALUOpX{Op: bpf.ALUOpXor})
	p.add(bpf.TAX{})
	p.add(bpf.ALUOpConstant{Op: bpf.ALUOpShiftRight, Val: 8})
	p.add(bpf.ALUOpX{Op: bpf.ALUOpXor})
	p.add(bpf.RetA{})
	return p.resolve()
}

// program assembles a classic BPF program with forward jumps to labels.
type program struct {
	ins    []bpf.Instruction
	labels map[string]int
	fix    []fixup
}

type fixup struct {
	at     int
	target string
	isTrue bool // a JumpIf's true branch; else its false branch, or a Jump
	uncond bool
}

func labelName(name string, n int) string { return name + string(rune('0'+n)) }

func (p *program) add(i bpf.Instruction) { p.ins = append(p.ins, i) }

func (p *program) label(name string, n int) {
	if p.labels == nil {
		p.labels = map[string]int{}
	}
	p.labels[labelName(name, n)] = len(p.ins)
}

// jumpEq jumps to the label when A == v, else goes on.
func (p *program) jumpEq(v uint32, name string, n int) { p.jumpIf(bpf.JumpEqual, v, name, n) }

// jumpIf jumps to the label when the condition holds, else goes on.
func (p *program) jumpIf(cond bpf.JumpTest, v uint32, name string, n int) {
	p.fix = append(p.fix, fixup{at: len(p.ins), target: labelName(name, n), isTrue: true})
	p.add(bpf.JumpIf{Cond: cond, Val: v})
}

// jumpNe jumps to the label when A != v, else goes on.
func (p *program) jumpNe(v uint32, name string, n int) {
	p.fix = append(p.fix, fixup{at: len(p.ins), target: labelName(name, n)})
	p.add(bpf.JumpIf{Cond: bpf.JumpEqual, Val: v})
}

func (p *program) jump(name string, n int) {
	p.fix = append(p.fix, fixup{at: len(p.ins), target: labelName(name, n), uncond: true})
	p.add(bpf.Jump{})
}

// xor8 leaves in A and X the XOR of the 4 words at off and of the 4 after
// them (two IPv6 addresses), for fold.
func (p *program) xor8(off uint32) {
	p.add(bpf.LoadAbsolute{Off: off, Size: 4})
	for w := uint32(1); w < 8; w++ {
		p.add(bpf.TAX{})
		p.add(bpf.LoadAbsolute{Off: off + 4*w, Size: 4})
		if w < 7 {
			p.add(bpf.ALUOpX{Op: bpf.ALUOpXor})
		}
	}
}

func (p *program) resolve() []bpf.Instruction {
	for _, f := range p.fix {
		to, ok := p.labels[f.target]
		if !ok || to <= f.at {
			panic("fanout program: bad label " + f.target)
		}
		skip := to - f.at - 1
		if skip > 255 && !f.uncond {
			panic("fanout program: jump too long")
		}
		switch ins := p.ins[f.at].(type) {
		case bpf.Jump:
			ins.Skip = uint32(skip)
			p.ins[f.at] = ins
		case bpf.JumpIf:
			if f.isTrue {
				ins.SkipTrue = uint8(skip)
			} else {
				ins.SkipFalse = uint8(skip)
			}
			p.ins[f.at] = ins
		}
	}
	return p.ins
}
