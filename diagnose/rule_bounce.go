package diagnose

import (
	"fmt"
	"strings"

	"github.com/ftpsniff/ftpsniff/analyze"
)

// ruleBounce: the server accepted a PORT/EPRT naming a third party or a
// privileged port (RFC 2577), so it can be made to connect anywhere. Not a
// bounce: FXP (the address is another server's passive address), the
// client's NAT or its other address family, or a server that connected to
// the client's own address instead.
func ruleBounce(d *run, s *SessionFacts, t *TransferFacts) *Finding {
	n := t.N
	if n == nil || n.Mode.IsPassive() || n.Inferred != "" || !n.Accepted() || !n.Address.IsValid() {
		return nil
	}
	client, adv := s.S.Client.Addr(), n.Address
	advClass, clientClass := analyze.ClassOf(adv.Addr()), analyze.ClassOf(client)
	thirdParty := adv.Addr() != client && adv.Addr().Is4() == client.Is4() &&
		(advClass.Routable() && clientClass.Routable() || !advClass.Routable() && !clientClass.Routable() && s.Side == analyze.SideSameLAN)
	if t.DC != nil && t.DC.MatchedBy == "control-address" {
		thirdParty = false // the server connected to the client's own address
	}
	if !(thirdParty && !d.isFXP(adv) || adv.Port() < 1024) {
		return nil
	}
	ev := []Evidence{{At: n.At, What: strings.TrimSpace(n.Command + " " + n.Arg)}}
	if n.Reply.At.Valid() {
		ev = append(ev, Evidence{At: n.Reply.At, What: replyWhat(n.Reply)})
	}
	f := &Finding{Code: Bounce, Severity: Warning, Session: s.S, Transfers: []*analyze.Transfer{t.T}, Evidence: ev,
		Advice: "Unless this is a deliberate server-to-server transfer, make the server refuse PORT to addresses other than the client's and to ports below 1024 (vsftpd port_promiscuous=NO)."}
	if adv.Port() < 1024 {
		f.Summary = fmt.Sprintf("%s names the privileged port %d (%s) and the server accepted it: a server that does can be used to reach other services (FTP bounce, RFC 2577)", n.Command, adv.Port(), adv)
	} else {
		f.Summary = fmt.Sprintf("%s names %s, not the client's own address %s, and the server accepted it: a third-party data connection (FTP bounce, RFC 2577)", n.Command, adv.Addr(), client)
	}
	return f
}
