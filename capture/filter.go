package capture

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// Filter is a capture filter in the common subset of tcpdump's syntax,
// evaluated on decoded packets (after the kernel's DefaultFilter has kept
// only TCP and ICMP):
//
//	[src|dst] host ADDR       [src|dst] net CIDR
//	[src|dst] port N          [src|dst] portrange N-M
//	tcp  udp  icmp  icmp6  ip  ip6
//	not / !   and / &&   or / ||   ( )
//
// Juxtaposed primitives are joined by "and", as in tcpdump. Unlike
// tcpdump's, "port" matches TCP only (ftpsniff decodes nothing else), and
// a packet's ICMP quote is not looked into.
type Filter struct {
	root node
	text string
}

func (f *Filter) String() string { return f.text }

// Match reports whether the packet passes the filter.
func (f *Filter) Match(p *Packet) bool { return f == nil || f.root.match(p) }

type node interface{ match(*Packet) bool }

type and struct{ a, b node }
type or struct{ a, b node }
type not struct{ a node }
type proto string
type hostNode struct {
	dir  string
	pfx  netip.Prefix
	host bool
}
type portNode struct {
	dir    string
	lo, hi uint16
}

func (n and) match(p *Packet) bool { return n.a.match(p) && n.b.match(p) }
func (n or) match(p *Packet) bool  { return n.a.match(p) || n.b.match(p) }
func (n not) match(p *Packet) bool { return !n.a.match(p) }

func (n proto) match(p *Packet) bool {
	switch n {
	case "tcp":
		return p.Kind == TCP
	case "udp":
		return false // not decoded: the kernel filter drops UDP
	case "icmp":
		return p.Kind == ICMPUnreachable && p.Src.Is4()
	case "icmp6":
		return p.Kind == ICMPUnreachable && p.Src.Is6()
	case "ip":
		return p.Src.Is4()
	case "ip6":
		return p.Src.Is6() && !p.Src.Is4In6()
	}
	return false
}

func (n hostNode) match(p *Packet) bool {
	src, dst := n.pfx.Contains(p.Src.Unmap()), n.pfx.Contains(p.Dst.Unmap())
	switch n.dir {
	case "src":
		return src
	case "dst":
		return dst
	}
	return src || dst
}

func (n portNode) match(p *Packet) bool {
	if p.Kind != TCP {
		return false
	}
	in := func(x uint16) bool { return x >= n.lo && x <= n.hi }
	switch n.dir {
	case "src":
		return in(p.SrcPort)
	case "dst":
		return in(p.DstPort)
	}
	return in(p.SrcPort) || in(p.DstPort)
}

// ParseFilter compiles an expression; an empty one matches everything.
func ParseFilter(expr string) (*Filter, error) {
	toks := tokenize(expr)
	if len(toks) == 0 {
		return nil, nil
	}
	ps := &parser{toks: toks}
	n, err := ps.or()
	if err != nil {
		return nil, err
	}
	if ps.i < len(ps.toks) {
		return nil, fmt.Errorf("filter: unexpected %q", ps.toks[ps.i])
	}
	return &Filter{root: n, text: expr}, nil
}

func tokenize(s string) []string {
	var out []string
	cur := strings.Builder{}
	flush := func() {
		if cur.Len() > 0 {
			out = append(out, cur.String())
			cur.Reset()
		}
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n':
			flush()
		case c == '(' || c == ')' || c == '!':
			flush()
			out = append(out, string(c))
		case (c == '&' || c == '|') && i+1 < len(s) && s[i+1] == c:
			flush()
			out = append(out, s[i:i+2])
			i++
		default:
			cur.WriteByte(c)
		}
	}
	flush()
	return out
}

type parser struct {
	toks []string
	i    int
}

func (ps *parser) peek() string {
	if ps.i < len(ps.toks) {
		return ps.toks[ps.i]
	}
	return ""
}

func (ps *parser) next() string { t := ps.peek(); ps.i++; return t }

func (ps *parser) or() (node, error) {
	a, err := ps.and()
	if err != nil {
		return nil, err
	}
	for ps.peek() == "or" || ps.peek() == "||" {
		ps.next()
		b, err := ps.and()
		if err != nil {
			return nil, err
		}
		a = or{a, b}
	}
	return a, nil
}

func (ps *parser) and() (node, error) {
	a, err := ps.unary()
	if err != nil {
		return nil, err
	}
	for {
		switch t := ps.peek(); t {
		case "and", "&&":
			ps.next()
		case "", "or", "||", ")":
			return a, nil
		}
		b, err := ps.unary()
		if err != nil {
			return nil, err
		}
		a = and{a, b}
	}
}

func (ps *parser) unary() (node, error) {
	switch ps.peek() {
	case "not", "!":
		ps.next()
		a, err := ps.unary()
		if err != nil {
			return nil, err
		}
		return not{a}, nil
	case "(":
		ps.next()
		a, err := ps.or()
		if err != nil {
			return nil, err
		}
		if ps.next() != ")" {
			return nil, fmt.Errorf("filter: missing )")
		}
		return a, nil
	}
	return ps.primitive()
}

func (ps *parser) primitive() (node, error) {
	dir := ""
	if t := ps.peek(); t == "src" || t == "dst" {
		dir = ps.next()
	}
	switch t := ps.next(); t {
	case "tcp", "udp", "icmp", "icmp6", "ip", "ip6":
		if dir != "" {
			return nil, fmt.Errorf("filter: %q cannot follow %q", t, dir)
		}
		return proto(t), nil
	case "host":
		arg := ps.next()
		a, err := netip.ParseAddr(arg)
		if err != nil {
			return nil, fmt.Errorf("filter: host wants an IP address, got %q", arg)
		}
		return hostNode{dir: dir, pfx: netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()), host: true}, nil
	case "net":
		arg := ps.next()
		pfx, err := netip.ParsePrefix(arg)
		if err != nil {
			return nil, fmt.Errorf("filter: net wants ADDR/BITS, got %q", arg)
		}
		return hostNode{dir: dir, pfx: pfx.Masked()}, nil
	case "port":
		arg := ps.next()
		n, err := strconv.ParseUint(arg, 10, 16)
		if err != nil {
			return nil, fmt.Errorf("filter: port wants a number, got %q", arg)
		}
		return portNode{dir: dir, lo: uint16(n), hi: uint16(n)}, nil
	case "portrange":
		arg := ps.next()
		lo, hi, ok := strings.Cut(arg, "-")
		l, err1 := strconv.ParseUint(lo, 10, 16)
		h, err2 := strconv.ParseUint(hi, 10, 16)
		if !ok || err1 != nil || err2 != nil || l > h {
			return nil, fmt.Errorf("filter: portrange wants LOW-HIGH, got %q", arg)
		}
		return portNode{dir: dir, lo: uint16(l), hi: uint16(h)}, nil
	case "":
		return nil, fmt.Errorf("filter: the expression ends too early")
	default:
		return nil, fmt.Errorf("filter: unknown primitive %q (supported: host, net, port, portrange, tcp, udp, icmp, icmp6, ip, ip6, and, or, not, parentheses)", t)
	}
}
