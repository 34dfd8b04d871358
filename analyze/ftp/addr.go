package ftp

import (
	"net/netip"
	"strconv"
	"strings"
)

// maxEPSVField is the longest text Parse229 tolerates in each of the two
// fields of a 229 reply that RFC 2428 requires to be empty: the longest
// IPv6 address text (45 bytes) with room to spare. It keeps the search
// linear on hostile text.
const maxEPSVField = 64

// ParsePORT parses the argument of a PORT command (RFC 959 section 4.1.2):
// "h1,h2,h3,h4,p1,p2", six decimal numbers from 0 to 255 separated by
// commas, with optional spaces around the numbers. The address is
// h1.h2.h3.h4 and the port p1*256+p2.
//
// Anything else is a *ProtocolError, numbers above 255 included: PORT is a
// command, and a server refuses such a PORT (Linux's helper and
// Wireshark instead let them spill into the next byte or wrap).
// RFC 959's grammar says 1 to 255, but real addresses and ports contain 0
// bytes, so 0 is accepted.
func ParsePORT(arg string) (netip.AddrPort, error) {
	i := skipSpaces(arg, 0)
	b, end, res := readSix(arg, i, ',', true)
	switch {
	case res == seqShape:
		return netip.AddrPort{}, protocolError("PORT: want six comma-separated numbers", arg)
	case res == seqRange:
		return netip.AddrPort{}, protocolError("PORT: number out of range", arg)
	case skipSpaces(arg, end) != len(arg):
		return netip.AddrPort{}, protocolError("PORT: text after the sixth number", arg)
	}
	return addrPort4(b), nil
}

// ParseEPRT parses the argument of an EPRT command (RFC 2428 section 2):
// <d><af><d><addr><d><port><d>, where the delimiter d is any ASCII
// character from 33 to 126 except a digit, af is 1 (addr is an IPv4 dotted
// quad) or 2 (addr is IPv6 text), and port is a decimal number from 0 to
// 65535. Spaces before and after are tolerated.
//
// RFC 2428 allows a digit as delimiter but a digit cannot be told apart from
// the numbers; it is rejected. Any other delimiter is accepted, letters a-f,
// '.' and ':' included (Wireshark rejects them): the delimiter must occur
// exactly four times, so one that also occurs inside the address fails.
// An address with an IPv6 zone is rejected, as zones have no meaning on
// the wire. Port 0 is accepted; the caller decides what it means.
func ParseEPRT(arg string) (netip.AddrPort, error) {
	s := trimSpaces(arg)
	if s == "" || !isDelimiter(s[0]) {
		return netip.AddrPort{}, protocolError("EPRT: want a delimiter from '!' to '~', not a digit", arg)
	}
	d := s[0]
	fields, ok := splitDelimited(s[1:], d)
	if !ok {
		return netip.AddrPort{}, protocolError("EPRT: want <d>af<d>address<d>port<d>", arg)
	}
	af, addrText, portText := fields[0], fields[1], fields[2]
	if af != "1" && af != "2" {
		return netip.AddrPort{}, protocolError("EPRT: address family is not 1 or 2", arg)
	}
	addr, err := netip.ParseAddr(addrText)
	switch {
	case err != nil:
		return netip.AddrPort{}, protocolError("EPRT: bad address", arg)
	case addr.Zone() != "":
		return netip.AddrPort{}, protocolError("EPRT: address has a zone", arg)
	case af == "1" && !addr.Is4(), af == "2" && !addr.Is6():
		return netip.AddrPort{}, protocolError("EPRT: address does not match the address family", arg)
	}
	port, ok := parsePort(portText)
	if !ok {
		return netip.AddrPort{}, protocolError("EPRT: bad port", arg)
	}
	return netip.AddrPortFrom(addr, port), nil
}

// ParseLPRT parses the argument of an LPRT command (RFC 1639 section 2):
// af,hal,h1,...,hn,pal,p1,p2 in decimal, each number from 0 to 255,
// separated by commas with optional spaces around the numbers. Address
// family 4 needs an address length (hal) of 4, family 6 a length of 16; the
// port length (pal) must be 2. An IPv4-mapped IPv6 address under family 6
// stays an IPv6 address.
func ParseLPRT(arg string) (netip.AddrPort, error) {
	i := skipSpaces(arg, 0)
	ap, end, res, what := readLong(arg, i)
	switch {
	case res != seqOK:
		return netip.AddrPort{}, protocolError("LPRT: "+what, arg)
	case skipSpaces(arg, end) != len(arg):
		return netip.AddrPort{}, protocolError("LPRT: text after the port", arg)
	}
	return ap, nil
}

// Parse227 finds the address in the text of a 227 reply to PASV, the text
// after "227 ". RFC 959 does not fix the wording and its own example omits
// the parentheses, so, as RFC 1123 section 4.1.2.6 requires and
// D. J. Bernstein advises, the whole text is searched: at each run of
// digits Parse227 tries to read six comma-separated numbers (optional
// spaces around the numbers); if that fails it goes on after that run. So
// "Entering Passive Mode (h1,h2,h3,h4,p1,p2).", "=h1,h2,...", the bare
// numbers, lower-case wording, and text before the numbers that holds
// digits or "(" are all found. Whatever follows the sixth number is
// ignored.
//
// The first six numbers found are the address; when one of them is above
// 255 the result is a *ProtocolError, not the remainder modulo 256 that
// Bernstein suggests for the port bytes: a diagnostic tool should show
// such a reply, not silently repair it. 0,0,0,0 is returned as 0.0.0.0
// (lftp replaces it with the server's address; the caller decides).
//
// Only when no comma-separated address exists, six numbers separated by
// single dots with no spaces ("(192.168.1.2.4.1)", which FFFTP accepts from
// some servers) are accepted instead. A text without either form, such as
// "Logout." (sent by a pure-ftpd version, pure-ftpd PR #175), is a
// *ProtocolError.
func Parse227(text string) (netip.AddrPort, error) {
	for _, sep := range [...]byte{',', '.'} {
		for i := 0; i < len(text); {
			if !isDigit(text[i]) {
				i++
				continue
			}
			b, _, res := readSix(text, i, sep, sep == ',')
			switch res {
			case seqOK:
				return addrPort4(b), nil
			case seqRange:
				return netip.AddrPort{}, protocolError("227: number out of range", text)
			}
			for i < len(text) && isDigit(text[i]) {
				i++
			}
		}
	}
	return netip.AddrPort{}, protocolError("227: no h1,h2,h3,h4,p1,p2 address", text)
}

// Parse228 finds the address in the text of a 228 reply to LPSV (RFC 1639),
// "Entering Long Passive Mode (af,hal,h1,...,hn,pal,p1,p2)", by the same
// search as Parse227: at each run of digits it tries to read a long address
// as ParseLPRT does, and goes on after that run if it fails. A number above
// 255 in an otherwise well-formed address is a *ProtocolError.
func Parse228(text string) (netip.AddrPort, error) {
	for i := 0; i < len(text); {
		if !isDigit(text[i]) {
			i++
			continue
		}
		ap, _, res, _ := readLong(text, i)
		switch res {
		case seqOK:
			return ap, nil
		case seqRange:
			return netip.AddrPort{}, protocolError("228: number out of range", text)
		}
		for i < len(text) && isDigit(text[i]) {
			i++
		}
	}
	return netip.AddrPort{}, protocolError("228: no af,hal,...,pal,p1,p2 address", text)
}

// Parse229 finds the port in the text of a 229 reply to EPSV (RFC 2428
// section 3), "(<d><d><d>port<d>)", with the delimiter rule of ParseEPRT.
// Every "(" in the text is tried, not only the first, so "(" in the
// wording before the port does not hide it. The port must be followed by
// the delimiter and ")".
//
// RFC 2428 requires the first two fields to be empty, as the data
// connection goes to the control connection's server address. Parse229
// tolerates up to 64 bytes of text in each (a server that puts its address
// there) and returns the port anyway; the caller still uses the control
// address. Port 0 is accepted; a port above 65535 is a *ProtocolError.
func Parse229(text string) (uint16, error) {
	for i := 0; i < len(text); i++ {
		if text[i] != '(' {
			continue
		}
		port, res := read229(text, i+1)
		switch res {
		case seqOK:
			return port, nil
		case seqRange:
			return 0, protocolError("229: port out of range", text)
		}
	}
	return 0, protocolError("229: no (<d><d><d>port<d>)", text)
}

// read229 reads "<d><field><d><field><d>port<d>)" at s[i:].
func read229(s string, i int) (uint16, seqResult) {
	if i >= len(s) || !isDelimiter(s[i]) {
		return 0, seqShape
	}
	d := s[i]
	i++
	for range 2 {
		j := strings.IndexByte(s[i:min(len(s), i+maxEPSVField+1)], d)
		if j < 0 {
			return 0, seqShape
		}
		i += j + 1
	}
	v, end, ok := readNumber(s, i)
	if !ok || end+1 >= len(s) || s[end] != d || s[end+1] != ')' {
		return 0, seqShape
	}
	if v > 65535 {
		return 0, seqRange
	}
	return uint16(v), seqOK
}

// FormatPORT returns the PORT argument for ap, "h1,h2,h3,h4,p1,p2". An
// IPv4-mapped IPv6 address is written as IPv4; for any other IPv6 address,
// which PORT cannot carry, and for the zero AddrPort it returns "".
func FormatPORT(ap netip.AddrPort) string {
	a := ap.Addr().Unmap()
	if !a.Is4() {
		return ""
	}
	b := a.As4()
	buf := make([]byte, 0, len("255,255,255,255,255,255"))
	for _, v := range [...]byte{b[0], b[1], b[2], b[3], byte(ap.Port() >> 8), byte(ap.Port())} {
		if len(buf) > 0 {
			buf = append(buf, ',')
		}
		buf = strconv.AppendUint(buf, uint64(v), 10)
	}
	return string(buf)
}

// FormatEPRT returns the EPRT argument for ap with "|" as the delimiter:
// "|1|1.2.3.4|5|" for IPv4, "|2|::1|5|" for IPv6 (an IPv4-mapped address is
// IPv6 and written "|2|::ffff:1.2.3.4|5|"). A zone is dropped. For the zero
// AddrPort it returns "".
func FormatEPRT(ap netip.AddrPort) string {
	a := ap.Addr().WithZone("")
	if !a.IsValid() {
		return ""
	}
	af := "|2|"
	if a.Is4() {
		af = "|1|"
	}
	return af + a.String() + "|" + strconv.FormatUint(uint64(ap.Port()), 10) + "|"
}

// FormatLPRT returns the LPRT argument for ap: "4,4,h1,h2,h3,h4,2,p1,p2"
// for IPv4 and "6,16,h1,...,h16,2,p1,p2" for IPv6 (a zone is dropped). For
// the zero AddrPort it returns "".
func FormatLPRT(ap netip.AddrPort) string {
	a := ap.Addr()
	if !a.IsValid() {
		return ""
	}
	buf := make([]byte, 0, len("6,16,")+16*4+len("2,255,255"))
	if a.Is4() {
		buf = append(buf, "4,4"...)
	} else {
		buf = append(buf, "6,16"...)
	}
	for _, v := range a.AsSlice() {
		buf = append(buf, ',')
		buf = strconv.AppendUint(buf, uint64(v), 10)
	}
	buf = append(buf, ",2,"...)
	buf = strconv.AppendUint(buf, uint64(ap.Port()>>8), 10)
	buf = append(buf, ',')
	buf = strconv.AppendUint(buf, uint64(ap.Port()&0xff), 10)
	return string(buf)
}

// seqResult is the outcome of reading a sequence of numbers.
type seqResult int

const (
	seqOK    seqResult = iota
	seqShape           // not the expected shape: keep searching, or reject
	seqRange           // the right shape, but a number is too large
)

// readSix reads six numbers separated by sep at s[i:], where s[i] should be
// a digit; with spaces, spaces may surround each separator. It returns the
// numbers, the index after the sixth, and the result. A number above 255 is
// reported as seqRange only once all six have been read.
func readSix(s string, i int, sep byte, spaces bool) (b [6]byte, end int, res seqResult) {
	l := numList{s: s, i: i, sep: sep, spaces: spaces}
	big := false
	for k := range b {
		v, ok := l.next(k == 0)
		if !ok {
			return b, l.i, seqShape
		}
		big = big || v > 255
		b[k] = byte(v)
	}
	if big {
		return b, l.i, seqRange
	}
	return b, l.i, seqOK
}

// readLong reads an RFC 1639 long address, af,hal,h1..hn,pal,p1,p2, at
// s[i:], with optional spaces around the commas. what says what is wrong
// when res is not seqOK.
func readLong(s string, i int) (ap netip.AddrPort, end int, res seqResult, what string) {
	l := numList{s: s, i: i, sep: ',', spaces: true}
	var v [2 + 16 + 1 + 2]int
	n := 0
	read := func(count int) bool {
		for range count {
			x, ok := l.next(n == 0)
			if !ok {
				return false
			}
			v[n] = x
			n++
		}
		return true
	}
	if !read(2) {
		return ap, l.i, seqShape, "want comma-separated numbers"
	}
	af, hal := v[0], v[1]
	switch {
	case af == 4 && hal == 4, af == 6 && hal == 16:
	case af != 4 && af != 6:
		return ap, l.i, seqShape, "address family is not 4 or 6"
	default:
		return ap, l.i, seqShape, "address length does not match the address family"
	}
	if !read(hal + 1) {
		return ap, l.i, seqShape, "want " + strconv.Itoa(hal) + " address bytes and a port length"
	}
	if v[n-1] != 2 {
		return ap, l.i, seqShape, "port length is not 2"
	}
	if !read(2) {
		return ap, l.i, seqShape, "want two port bytes"
	}
	var b [16]byte
	for k, x := range v[:n] {
		if x > 255 {
			return ap, l.i, seqRange, "number out of range"
		}
		if k >= 2 && k < 2+hal {
			b[k-2] = byte(x)
		}
	}
	var addr netip.Addr
	if af == 4 {
		addr = netip.AddrFrom4([4]byte(b[:4]))
	} else {
		addr = netip.AddrFrom16(b)
	}
	port := uint16(v[n-2])<<8 | uint16(v[n-1])
	return netip.AddrPortFrom(addr, port), l.i, seqOK, ""
}

// numList reads a list of decimal numbers separated by sep.
type numList struct {
	s      string
	i      int // index after the last number read
	sep    byte
	spaces bool // spaces may surround sep
}

// next reads the next number: the first one at s[i], later ones after a
// separator.
func (l *numList) next(first bool) (int, bool) {
	j := l.i
	if !first {
		if l.spaces {
			j = skipSpaces(l.s, j)
		}
		if j >= len(l.s) || l.s[j] != l.sep {
			return 0, false
		}
		j++
		if l.spaces {
			j = skipSpaces(l.s, j)
		}
	}
	v, end, ok := readNumber(l.s, j)
	if !ok {
		return 0, false
	}
	l.i = end
	return v, true
}

// readNumber reads the decimal digits at s[i:]. Values above 1e6 saturate
// (every caller rejects them), so a long run of digits cannot overflow.
func readNumber(s string, i int) (v, end int, ok bool) {
	end = i
	for end < len(s) && isDigit(s[end]) {
		if v <= 1e6 {
			v = v*10 + int(s[end]-'0')
		}
		end++
	}
	return v, end, end > i
}

// parsePort parses a whole string as a decimal port number.
func parsePort(s string) (uint16, bool) {
	v, end, ok := readNumber(s, 0)
	if !ok || end != len(s) || v > 65535 {
		return 0, false
	}
	return uint16(v), true
}

// splitDelimited splits s, which follows the opening delimiter of an EPRT
// argument, into the three fields af, address and port; s must hold exactly
// three more delimiters, the last one at its end.
func splitDelimited(s string, d byte) (f [3]string, ok bool) {
	for k := range f {
		j := strings.IndexByte(s, d)
		if j < 0 {
			return f, false
		}
		f[k], s = s[:j], s[j+1:]
	}
	return f, s == ""
}

// isDelimiter reports whether c may delimit EPRT and 229 fields: printable
// ASCII other than space (RFC 2428: 33 to 126), and not a digit.
func isDelimiter(c byte) bool { return 33 <= c && c <= 126 && !isDigit(c) }

func skipSpaces(s string, i int) int {
	for i < len(s) && s[i] == ' ' {
		i++
	}
	return i
}

func trimSpaces(s string) string { return strings.Trim(s, " ") }

func addrPort4(b [6]byte) netip.AddrPort {
	return netip.AddrPortFrom(netip.AddrFrom4([4]byte(b[:4])), uint16(b[4])<<8|uint16(b[5]))
}
