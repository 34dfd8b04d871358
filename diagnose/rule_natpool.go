package diagnose

import (
	"fmt"
	"net/netip"
	"regexp"
	"strings"

	"github.com/ftpsniff/ftpsniff/analyze"
)

// foreignDataReply recognises a server's refusal of a passive data
// connection that came from another address than the control connection:
// vsftpd (pasv_promiscuous=NO) "425 Security: Bad IP connecting.",
// pyftpdlib (permit_foreign_addresses=False) "425 Rejected data connection
// from foreign address 198.51.100.3:55536." (the address it saw).
var foreignDataReply = regexp.MustCompile(`(?i)bad ip connecting|foreign address(?: ([0-9a-f.:\[\]]+):([0-9]+))?`)

// foreignRefusal reports whether r is a known refusal of a data connection
// from a foreign address, and the address the server names (invalid when
// it names none).
func foreignRefusal(r analyze.Reply) (bool, netip.AddrPort) {
	if r.Code != 425 {
		return false, netip.AddrPort{}
	}
	m := foreignDataReply.FindStringSubmatch(r.Text)
	if m == nil {
		return false, netip.AddrPort{}
	}
	ap, _ := netip.ParseAddrPort(strings.Trim(m[1], "[]") + ":" + m[2])
	if m[1] != "" && strings.Contains(m[1], ":") {
		ap, _ = netip.ParseAddrPort("[" + strings.Trim(m[1], "[]") + "]:" + m[2])
	}
	return true, ap
}

// natPoolFix is what fixes a NAT pool without pairing, or the server's
// side of it.
const natPoolFix = "Make the NAT keep each inside host's connections on one outside address (paired address pooling, RFC 4787 REQ-2): " +
	"Linux nftables snat to <first>-<last> persistent (iptables --persistent), or one outside address per inside host; " +
	"behind a carrier-grade NAT, ask the carrier for paired pooling or a public address. " +
	"Or make the server accept data connections from another address than the control connection's (vsftpd pasv_promiscuous=YES, pyftpdlib permit_foreign_addresses=True), " +
	"at a cost: anyone who connects to the passive port first then gets the data (RFC 2577)."

// ruleNATPoolUnpaired: a passive data connection reached the server from
// another address than the control connection. A NAT with a pool of
// outside addresses that picks one per connection, not per host (RFC 4787
// calls keeping them together "paired" pooling), or a client with several
// addresses, does this; servers that check the data connection's address
// refuse it (vsftpd "425 Security: Bad IP connecting.").
//
// Where this point sees the two connections come from two addresses it
// names them; an error when the server refused the transfer, a warning
// when it worked (the server does not check). Where both left from one
// address (inside the NAT), only the server's own refusal of a foreign
// address says it, and the translation happened between this point and
// the server. The other session of an FXP (a PORT naming this passive
// address) is not this.
func ruleNATPoolUnpaired(d *run, s *SessionFacts, t *TransferFacts) *Finding {
	n, dc := t.N, t.DC
	if n == nil || !n.Mode.IsPassive() || dc == nil || t.State != analyze.Established || n.Inferred != "" {
		return nil
	}
	ss := s.S
	if o, ok := d.recent.active(n.Address); ok && o.Session != ss.ID {
		return nil // another session's PORT named this address: FXP
	}
	if dc.SYNTTL != 0 && ss.ClientTTL != 0 && analyze.HopsFromTTL(dc.SYNTTL) != analyze.HopsFromTTL(ss.ClientTTL) {
		return nil // another path than the client's: another host (the other server of an FXP)
	}
	client, from := ss.Client.Addr(), dc.Src.Addr()
	other := from != client && from.Is4() == client.Is4()
	known, saw := foreignRefusal(t.T.Final)
	refused := t.T.Final.Code == 425
	worked := t.T.Final.Code >= 200 && t.T.Final.Code < 300
	if !(other && (refused || worked) || !other && known) {
		return nil
	}
	f := &Finding{Code: NATPoolUnpaired, Severity: Error, Session: ss, Transfers: []*analyze.Transfer{t.T}, Evidence: t.Evidence()}
	fix := natPoolFix
	if other {
		f.Summary = fmt.Sprintf("%s: the data connection came from %s, the control connection from %s: the client's connections reach the server from two addresses, "+
			"as a NAT does that picks an address from its pool per connection instead of keeping a host's connections on one (unpaired pooling), or a client with several addresses",
			t.What, dc.Src, ss.Client)
		f.Advice = fmt.Sprintf("If a NAT on the client's side maps %s and %s (a pool): ", client, from) + lowerFirst(fix)
		switch {
		case known:
			f.Summary += fmt.Sprintf("; the server refused the data connection for that (%s)", replyWhat(t.T.Final))
		case refused:
			f.Summary += fmt.Sprintf("; the server answered \"%s\", as a server does that checks that the data connection comes from the control connection's address", replyWhat(t.T.Final))
		default:
			f.Severity = Warning
			f.Summary += fmt.Sprintf("; the transfer worked (%s) only because this server does not check the data connection's address: "+
				"a server that does refuses it (vsftpd: 425 Security: Bad IP connecting.)", replyWhat(t.T.Final))
			f.Advice = "Nothing failed here. For servers that check the address: " + lowerFirst(f.Advice)
		}
		return f
	}
	f.Summary = fmt.Sprintf("%s: the server refused the data connection as coming from another address than the control connection (%s)", t.What, replyWhat(t.T.Final))
	if saw.IsValid() {
		f.Summary += fmt.Sprintf(": it saw the data connection come from %s", saw)
	}
	box := "a box between this point and the server (a NAT, a proxy)"
	if s.NATInSight || !s.ClientClass.Routable() && s.ServerClass.Routable() {
		box = "a NAT between this point and the server"
	}
	f.Summary += fmt.Sprintf(". Here both left from %s (control %s, data %s): %s maps this host's connections to different addresses, "+
		"as an address pool without pairing does (SNAT pools, carrier-grade NAT); a capture past it shows the two addresses", client, ss.Client, dc.Src, box)
	f.Advice = fix
	return f
}

// lowerFirst lowers a sentence's first letter, to follow a colon.
func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToLower(s[:1]) + s[1:]
}
