package diagnose

import (
	"net/netip"

	"github.com/ftpsniff/ftpsniff/analyze"
)

// addrKind names an unroutable address's class for a sentence: "private
// address", or for the shared space of RFC 6598 what it is used for. A
// PORT carrying a shared address was written by (or rewritten to) a host
// on the inside of a carrier-grade NAT, not on a home LAN: that tells
// which of two NATs failed.
func addrKind(a netip.Addr) string {
	switch analyze.ClassOf(a) {
	case analyze.ClassCGNAT:
		return "shared address (100.64.0.0/10 of RFC 6598, used inside carrier-grade NATs)"
	case analyze.ClassLinkLocal:
		return "link-local address"
	case analyze.ClassLoopback:
		return "loopback address"
	case analyze.ClassULA:
		return "unique-local address"
	}
	return "private address"
}

// isShared reports whether a is in the shared address space of RFC 6598.
func isShared(a netip.Addr) bool { return analyze.ClassOf(a) == analyze.ClassCGNAT }

// carrierNATAdvice is the fix when nat, the NAT that left a PORT
// unrewritten, translates the shared address space: usually the
// provider's, where the user cannot add a helper.
func carrierNATAdvice(nat string) string {
	return "Use passive mode (curl: leave out -P/--ftp-port; lftp: set ftp:passive-mode on): " + nat + " translates the shared address space " +
		"100.64.0.0/10, which carriers use for carrier-grade NAT, and a provider's NAT is not yours to give an FTP helper. If it is yours, attach the kernel FTP helper on it " +
		"(nftables ct helper \"ftp\" and a rule setting it for tcp dport 21); otherwise ask the provider for a public address, or use IPv6 if the path has it."
}
