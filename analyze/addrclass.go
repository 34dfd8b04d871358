package analyze

import "net/netip"

// AddrClass says what kind of address an IP is, for NAT reasoning.
type AddrClass string

// Address classes. Private ones cannot be reached across the Internet, so
// advertising one to a peer on the other side of a NAT cannot work.
const (
	ClassPublic      AddrClass = "public"
	ClassPrivate     AddrClass = "private"      // RFC 1918
	ClassCGNAT       AddrClass = "cgnat"        // 100.64.0.0/10, RFC 6598
	ClassLoopback    AddrClass = "loopback"     // 127.0.0.0/8, ::1
	ClassLinkLocal   AddrClass = "link-local"   // 169.254.0.0/16, fe80::/10
	ClassUnspecified AddrClass = "unspecified"  // 0.0.0.0, ::
	ClassULA         AddrClass = "unique-local" // fc00::/7, RFC 4193
)

var cgnat = netip.MustParsePrefix("100.64.0.0/10")

// ClassOf classifies an address. The documentation ranges (192.0.2.0/24,
// 198.51.100.0/24, 203.0.113.0/24, 2001:db8::/32) count as public: labs
// and examples use them for the public side.
func ClassOf(a netip.Addr) AddrClass {
	a = a.Unmap()
	switch {
	case !a.IsValid(), a.IsUnspecified():
		return ClassUnspecified
	case a.IsLoopback():
		return ClassLoopback
	case a.IsLinkLocalUnicast():
		return ClassLinkLocal
	case a.Is4() && cgnat.Contains(a):
		return ClassCGNAT
	case a.Is6() && a.IsPrivate():
		return ClassULA
	case a.IsPrivate():
		return ClassPrivate
	}
	return ClassPublic
}

// Routable reports whether the class can be reached from the Internet.
func (c AddrClass) Routable() bool { return c == ClassPublic }
