package diagnose

import (
	"fmt"

	"github.com/ftpsniff/ftpsniff/analyze"
)

// ruleFXP: a server-to-server transfer (FXP). The client's PORT/EPRT to
// one server names the passive address another server advertised to the
// same client (the same address at this point) in another session: the
// first server connects to the second, and the data goes between them.
// Said as information, naming both servers and, where this point sees it,
// the data connection between them; no bounce (ruleBounce leaves it) and
// no NAT finding.
func ruleFXP(d *run, s *SessionFacts, t *TransferFacts) *Finding {
	n := t.N
	if n == nil || n.Mode.IsPassive() || n.Inferred != "" || !n.Accepted() || !n.Address.IsValid() {
		return nil
	}
	ss := s.S
	o, ok := d.recent.passive(n.Address)
	if !ok || o.Session == ss.ID || o.Client != ss.Client.Addr() || o.Server == ss.Server.Addr() {
		return nil
	}
	f := &Finding{Code: FXP, Severity: Info, Session: ss, Transfers: []*analyze.Transfer{t.T},
		Evidence: append([]Evidence{{At: o.At, What: o.Line() + " (session " + o.Session + ")"}}, t.Evidence()...)}
	f.Summary = fmt.Sprintf("a server-to-server transfer (FXP): the client %s named in %s to the server %s the passive address %s that the server %s advertised to it in session %s; "+
		"%s connects to %s for %s and the data goes between the two servers, not through the client: not a bounce",
		ss.Client.Addr(), n.Command, ss.Server.Addr(), n.Address, o.Server, o.Session, ss.Server.Addr(), n.Address, t.What)
	switch dc := t.DC; {
	case dc != nil:
		f.Summary += fmt.Sprintf("; here its data connection %s → %s %s", dc.Src, dc.Dst, stateWords(t.State))
	default:
		f.Summary += "; its data connection was not seen here (it runs between the servers)"
	}
	if t.T.Final.Code != 0 {
		f.Summary += fmt.Sprintf(", and %s answered %s", ss.Server.Addr(), replyWhat(t.T.Final))
	}
	f.Advice = "Nothing to do if the transfer is deliberate. Both servers accept it (a PORT naming another host, a data connection from another host than the client), " +
		"which also lets a client make them connect anywhere (FTP bounce, RFC 2577): allow it only for trusted users."
	return f
}
