package diagnose

import (
	"fmt"
	"net/netip"
	"slices"
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
	ev := []Evidence{{At: n.At, What: commandLine(n.Command, n.Arg)}}
	if n.Reply.At.Valid() {
		ev = append(ev, Evidence{At: n.Reply.At, What: replyWhat(n.Reply)})
	}
	f := &Finding{Code: Bounce, Severity: Warning, Session: s.S, Transfers: []*analyze.Transfer{t.T}, Evidence: ev,
		Advice: "Unless this is a deliberate server-to-server transfer, make the server refuse PORT to addresses other than the client's and to ports below 1024 (vsftpd port_promiscuous=NO)."}
	server := s.S.Server.Addr()
	if adv.Port() < 1024 {
		whose := ""
		switch {
		case thirdParty:
			whose = fmt.Sprintf(" of the third host %s (neither the client %s nor the server %s)", adv.Addr(), client, server)
		case adv.Addr() != client && adv.Addr() != server && !clientClass.Routable() && advClass.Routable():
			whose = fmt.Sprintf(" of %s, not the server; from inside the client's NAT this point cannot tell whether it is the NAT's own public address", adv.Addr())
		}
		f.Summary = fmt.Sprintf("%s names %s, the privileged port %d%s, and the server accepted it: a server that does can be used to reach other services (FTP bounce, RFC 2577)", n.Command, adv, adv.Port(), whose)
	} else {
		f.Summary = fmt.Sprintf("%s names %s, not the client's own address %s, and the server accepted it: a third-party data connection (FTP bounce, RFC 2577), "+
			"unless it is one half of a server-to-server transfer (FXP) whose other session, advertising %s, this point does not see", n.Command, adv.Addr(), client, adv)
	}
	if t.T.Command != "" {
		switch {
		case t.DC != nil:
			f.Summary += fmt.Sprintf("; for %s the server's connection %s → %s %s", t.What, t.DC.Src, t.DC.Dst, stateWords(t.State))
		case t.T.Final.Code != 0:
			f.Summary += fmt.Sprintf("; %s followed, answered %s", t.What, replyWhat(t.T.Final))
		}
	}
	return f
}

// bounceScanMin is how many ports of one third host make a scan.
const bounceScanMin = 5

// ruleBounceScan: a session sent PORT/EPRT naming one third host at many
// ports (at least bounceScanMin), each followed by a listing or refused:
// an FTP bounce port scan (as nmap's ftp-bounce does). One finding names
// the host, the ports that answered (the data connection was set up, or
// the server said it was opening it) and how many did not; the probes are
// explained, so no port-rejected or data-refused per probe.
func ruleBounceScan(d *run, s *SessionFacts) {
	ss := s.S
	byHost := map[netip.Addr][]*TransferFacts{}
	for _, t := range s.Transfers {
		n := t.N
		if n == nil || n.Mode.IsPassive() || n.Inferred != "" || !n.Address.IsValid() {
			continue
		}
		// A probe makes the server connect: a listing follows the PORT, or
		// the server connects at once and says so in its reply (pyftpdlib:
		// 200 connected, 425 or 421 not). A PORT nothing followed is not one.
		probe := t.T.Command != "" && n.Accepted() || n.Reply.Code == 425 || n.Reply.Code == 421 || t.DC != nil
		if a := n.Address.Addr(); probe && a != ss.Client.Addr() && a != ss.Server.Addr() && !d.isFXP(n.Address) {
			byHost[a] = append(byHost[a], t)
		}
	}
	hosts := make([]netip.Addr, 0, len(byHost))
	for h := range byHost {
		hosts = append(hosts, h)
	}
	slices.SortFunc(hosts, netip.Addr.Compare)
	for _, host := range hosts {
		probes := byHost[host]
		ports := map[uint16]bool{}
		for _, t := range probes {
			ports[t.N.Address.Port()] = true
		}
		if len(ports) < bounceScanMin {
			continue
		}
		f := &Finding{Code: BounceScan, Severity: Warning, Session: ss, key: ss.ID + " " + host.String()}
		var open []string
		lo, hi := uint16(65535), uint16(0)
		for _, t := range probes {
			p := t.N.Address.Port()
			lo, hi = min(lo, p), max(hi, p)
			f.Transfers = append(f.Transfers, t.T)
			t.explained = true
			if probeAnswered(t) {
				open = append(open, fmt.Sprint(p))
				f.Evidence = append(f.Evidence, t.Evidence()...)
			}
		}
		f.Evidence = append([]Evidence{{At: probes[0].N.At, What: probes[0].N.Line()}}, f.Evidence...)
		answered := "none answered"
		if len(open) > 0 {
			answered = fmt.Sprintf("%s answered (%s)", plural(len(open), "port", "ports"), strings.Join(open, ", "))
		}
		f.Summary = fmt.Sprintf("the client %s made the server %s connect to %d ports of the third host %s (%d to %d), one %s after another: an FTP bounce port scan (RFC 2577); %s, %d did not",
			ss.Client.Addr(), ss.Server, len(ports), host, lo, hi, probes[0].N.Command, answered, len(probes)-len(open))
		f.Advice = "Make the server refuse PORT/EPRT naming any address but the client's own (vsftpd port_promiscuous=NO, pyftpdlib permit_foreign_addresses=False, proftpd AllowForeignAddress off), and look at who the client is."
		d.add(f)
	}
}

// probeAnswered reports whether a bounce probe reached an open port: its
// data connection was set up, or the server said it was opening it or
// completed the listing.
func probeAnswered(t *TransferFacts) bool {
	tr := t.T
	return t.DC != nil && t.State == analyze.Established || tr.Prelim.Code == 125 || tr.Prelim.Code == 150 ||
		tr.Final.Code == 226 || tr.Final.Code == 250
}
