package diagnose

import (
	"fmt"

	"github.com/ftpsniff/ftpsniff/analyze"
)

// rulePortAddressMismatch: what a PORT/EPRT names and what this point sees
// disagree, and the transfer failed.
//
//   - The server's data connection came to the advertised address on
//     another port (tied to the PORT by its source, the server's port 20,
//     while the PORT waited): the port was changed between this point and
//     the server, in the PORT on its way there or in the connection on its
//     way back.
//   - The PORT names a public address that is neither the client's here nor
//     a private one a NAT left as it was: the client named another host on
//     purpose (FXP, a bounce), or a box between the client and this point
//     wrote a wrong address. The point cannot tell which; it says so.
func rulePortAddressMismatch(d *run, s *SessionFacts, t *TransferFacts) *Finding {
	n := t.N
	if n.Mode.IsPassive() || n.ParseError != "" || !n.Address.IsValid() {
		return nil
	}
	ss := s.S
	adv := n.Address
	// Made once the rule applies: for most active transfers it does not.
	finding := func() *Finding {
		return &Finding{Code: PortAddressMismatch, Severity: Error, Session: ss, Transfers: []*analyze.Transfer{t.T}, Evidence: t.Evidence()}
	}
	if dc := t.DC; dc != nil && dc.Initiator == "server" && dc.Dst.Addr() == adv.Addr() && dc.Dst.Port() != adv.Port() {
		f := finding()
		f.Summary = fmt.Sprintf("the client advertised %s in %s (frame %d), but the server's data connection for %s came to port %d (SYN frame %d from %s), not the port the client named; it %s",
			adv, n.Command, n.CommandAt.Frame, t.What, dc.Dst.Port(), dc.SYN.Frame, dc.Src, stateWords(t.State))
		if t.State == analyze.Refused && dc.RSTFromAcc {
			f.Summary += fmt.Sprintf(" (frame %d, from %s)", dc.RST.Frame, dc.Dst)
		}
		if r := t.T.Final; r.Code != 0 {
			f.Summary += fmt.Sprintf(", and the server answered \"%s\"", replyWhat(r))
		}
		f.Summary += fmt.Sprintf(". A box between this point and the server changed the port: in the %s on its way to the server (an FTP helper writing a wrong port), or in the server's connection on its way back; "+
			"this point cannot see the %s as the server got it (a capture on the far side of the box shows it)", n.Command, n.Command)
		f.Advice = fmt.Sprintf("Compare the %s on both sides of the client's NAT or firewall: a helper that rewrites it must keep the port it opens for the server's connection and the port it writes the same. "+
			"Until it is fixed, use passive mode.", n.Command)
		return f
	}
	client := ss.Client.Addr()
	cls := analyze.ClassOf(adv.Addr())
	if adv.Addr() == client || !cls.Routable() || adv.Addr().Is4() != client.Is4() || d.isFXP(adv) {
		return nil
	}
	// A third-party PORT the server accepted is the bounce rule's.
	refused := n.Reply.Code >= 400
	if !refused {
		return nil
	}
	f := finding()
	f.Summary = fmt.Sprintf("%s advertises %s, which is neither the client's address here (%s) nor a private address a NAT left as it was; ", n.Command, adv, client)
	switch {
	case n.Reply.Code >= 500:
		f.Summary += fmt.Sprintf("the server refused it (%s): servers refuse %s that does not name the control connection's peer", replyWhat(n.Reply), aCommand(n.Command))
	case t.DC != nil && t.State == analyze.Unreachable:
		f.Summary += fmt.Sprintf("the server's connection to it (SYN frame %d) was answered by %s with %s (frame %d)",
			t.DC.SYN.Frame, t.DC.ICMPFrom, icmpMeaning(!adv.Addr().Is4(), t.DC.ICMPType, t.DC.ICMPCode), t.DC.ICMP.Frame)
		f.Summary += fmt.Sprintf(", and the server answered \"%s\"", replyWhat(n.Reply))
	case t.DC != nil:
		f.Summary += fmt.Sprintf("the server's connection to it %s", stateWords(t.State))
		f.Summary += fmt.Sprintf(", and the server answered \"%s\"", replyWhat(n.Reply))
	default:
		f.Summary += fmt.Sprintf("the server answered \"%s\" and no connection to it crossed this point", replyWhat(n.Reply))
	}
	f.Summary += fmt.Sprintf(". Either the client named another host on purpose (FXP, or a bounce), or a box between the client and this point (an FTP helper on its NAT) wrote a wrong address into the %s; "+
		"this point cannot tell which: a capture nearer the client shows the %s as the client sent it", n.Command, n.Command)
	f.Advice = fmt.Sprintf("If the client did not mean another host, look at the FTP helper of the client's NAT: it must write its own outside address (%s here) into the %s. "+
		"Until it is fixed, use passive mode.", client, n.Command)
	return f
}
