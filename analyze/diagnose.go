package analyze

import (
	"fmt"
	"net/netip"
	"sort"
	"strings"
)

// Severity orders findings.
type Severity int

// Severities, as the contract names them.
const (
	Info Severity = iota
	Warning
	Error
)

func (s Severity) String() string {
	switch s {
	case Error:
		return "error"
	case Warning:
		return "warning"
	}
	return "info"
}

// ParseSeverity reads "info", "warning" or "error".
func ParseSeverity(s string) (Severity, bool) {
	switch s {
	case "info":
		return Info, true
	case "warning":
		return Warning, true
	case "error":
		return Error, true
	}
	return 0, false
}

// Evidence is one frame that supports a finding.
type Evidence struct {
	At   Ref
	What string
	// Point names the capture point of At when it is not the finding's
	// own (findings that compare two points).
	Point string
}

// Finding is one diagnosed cause, with the frames that prove it and the
// change that fixes it. Code is one of the contract's stable codes.
type Finding struct {
	Code      string
	Severity  Severity
	Session   *Session
	Transfers []*Transfer // the transfers it explains (first one first)
	Summary   string
	Evidence  []Evidence
	Advice    string

	// key groups findings of one cause: the same code with the same key is
	// one finding (default: the session).
	key string
}

// maxEvidence bounds the frames cited by one finding.
const maxEvidence = 12

// Side is where a capture point sits relative to a session's hosts.
type Side string

// Capture sides.
const (
	SideClient  Side = "client"   // on the client's side of every router (its LAN or the client itself)
	SideServer  Side = "server"   // on the server's side
	SideSameLAN Side = "same-lan" // both hosts are local: no router between them
	SideBetween Side = "between"  // routers on both sides (a transit link, or outside a NAT)
	SideUnknown Side = "unknown"
)

// hopsFromTTL guesses how many routers a packet crossed from its TTL: the
// initial TTLs in use are 64 (Linux, macOS), 128 (Windows) and 255.
func hopsFromTTL(ttl uint8) int {
	for _, initial := range []int{32, 64, 128, 255} {
		if int(ttl) <= initial {
			return initial - int(ttl)
		}
	}
	return -1
}

// InferSide infers where the capture point sits for session s, and says
// why. A point named "client" or "server" (or starting so) is taken at its
// word.
func InferSide(point string, s *Session) (Side, string) {
	p := strings.ToLower(point)
	switch {
	case strings.HasPrefix(p, "client"):
		return SideClient, fmt.Sprintf("the capture point is named %q", point)
	case strings.HasPrefix(p, "server"):
		return SideServer, fmt.Sprintf("the capture point is named %q", point)
	}
	if s.ClientTTL == 0 || s.ServerTTL == 0 {
		return SideUnknown, "only one direction of the control connection was captured"
	}
	ch, sh := hopsFromTTL(s.ClientTTL), hopsFromTTL(s.ServerTTL)
	why := fmt.Sprintf("the client's packets arrive with TTL %d (%s), the server's with TTL %d (%s)", s.ClientTTL, hops(ch), s.ServerTTL, hops(sh))
	switch {
	case ch == 0 && sh == 0:
		return SideSameLAN, why
	case ch == 0:
		return SideClient, why
	case sh == 0:
		return SideServer, why
	}
	return SideBetween, why
}

// diagnose derives the findings of a result.
func diagnose(r *Result, opts Options, recentPassive []netip.AddrPort) []*Finding {
	d := diagnoser{r: r, passiveAddrs: recentPassive}
	// Addresses that servers advertised in 227/229 replies: a PORT naming
	// one of them is FXP (server to server), not a bounce.
	for _, s := range r.Sessions {
		for _, n := range s.Negotiations {
			if n.Mode.IsPassive() && n.Address.IsValid() {
				d.passiveAddrs = append(d.passiveAddrs, n.Address)
			}
		}
	}
	for _, s := range r.Sessions {
		s.Side, s.SideWhy = InferSide(r.Point, s)
		d.session(s)
	}
	sort.SliceStable(d.out, func(i, j int) bool { return d.out[i].Severity > d.out[j].Severity })
	return d.out
}

// DiagnoseTransfer diagnoses one transfer on its own, as soon as it is
// decided (live capture): the findings its transfer alone supports.
// Session-wide findings come with the final result.
func DiagnoseTransfer(point string, s *Session, t *Transfer) []*Finding {
	d := diagnoser{r: &Result{Point: point}}
	if s.Side == "" {
		s.Side, s.SideWhy = InferSide(point, s)
	}
	d.transfer(s, t, t.laterIn(s))
	return d.out
}

type diagnoser struct {
	r            *Result
	out          []*Finding
	passiveAddrs []netip.AddrPort
}

// add records a finding, merging it into one of the same code in the same
// session: one finding per cause, with every transfer it explains.
func (d *diagnoser) add(f *Finding) {
	if f.key == "" && f.Session != nil {
		f.key = f.Session.ID
	}
	for _, g := range d.out {
		if g.Code == f.Code && g.Severity == f.Severity && g.key == f.key {
			g.Transfers = append(g.Transfers, f.Transfers...)
			for _, e := range f.Evidence {
				if len(g.Evidence) < maxEvidence {
					g.Evidence = append(g.Evidence, e)
				}
			}
			return
		}
	}
	if len(f.Evidence) > maxEvidence {
		f.Evidence = f.Evidence[:maxEvidence]
	}
	d.out = append(d.out, f)
}

func (d *diagnoser) session(s *Session) {
	failedData := false
	for i, t := range s.Transfers {
		if d.transfer(s, t, s.Transfers[i+1:]) {
			failedData = true
		}
	}
	if s.Gaps > 0 {
		d.add(&Finding{Code: "capture-gap", Severity: Warning, Session: s,
			Summary: fmt.Sprintf("%d bytes of the control connection %s → %s are missing from the capture (%d holes): conclusions about what was said there may be incomplete",
				s.MissingBytes, s.Client, s.Server, s.Gaps),
			Evidence: []Evidence{{At: s.First, What: "first frame of the session"}},
			Advice:   "The capture lost these segments, not the network (the receiver acknowledged them). Capture with a larger buffer (tcpdump -B 8192), write to a fast disk, or filter to the FTP hosts."})
	}
	if s.PasswordAt.Valid() && !isGuest(s.User) {
		d.add(&Finding{Code: "cleartext-credentials", Severity: Info, Session: s, key: s.User + "@" + s.Server.String(),
			Summary:  fmt.Sprintf("user \"%s\" sent its password in clear text to %s", s.User, s.Server),
			Evidence: []Evidence{{At: s.PasswordAt, What: "PASS (redacted)"}},
			Advice:   "Use FTPS (AUTH TLS, in passive mode so that no ALG is needed) or SFTP; anyone on the path can read this password."})
	}
	if s.TLS && !s.TLSEnded {
		nat := ClassOf(s.Client.Addr()).Routable() != ClassOf(s.Server.Addr()).Routable()
		worked := false
		for _, t := range s.Transfers {
			if dc := t.Data(); dc != nil && dc.State() == Established {
				worked = true
			}
		}
		sev, what := Warning, "no ALG on the path can read or rewrite its PORT/227 lines; only passive mode to a correctly configured server can cross a NAT"
		if failedData || nat && !worked {
			sev, what = Error, "no data connection worked, and no ALG can rewrite an encrypted PORT/227"
		}
		d.add(&Finding{Code: "tls-blind-alg", Severity: sev, Session: s, key: s.Server.String(),
			Summary:  fmt.Sprintf("the control channel to %s is encrypted (from frame %d on, in the first session): %s", s.Server, s.TLSAt.Frame, what),
			Evidence: []Evidence{{At: s.TLSAt, What: "TLS starts on the control channel"}},
			Advice: "Use passive mode, with the server's public address configured (vsftpd pasv_address, proftpd MasqueradeAddress, pure-ftpd -P) " +
				"and its passive port range (vsftpd pasv_min_port/pasv_max_port) opened and forwarded; active mode cannot cross a NAT under TLS. " +
				"Some servers allow CCC after login, which returns the control channel to clear text."})
	}
}

func isGuest(user string) bool {
	switch strings.ToLower(user) {
	case "anonymous", "ftp", "guest", "":
		return true
	}
	return false
}

func replyWhat(r Reply) string {
	if r.Code == 0 {
		return ""
	}
	return fmt.Sprintf("%d %s", r.Code, r.Text)
}

// dataReply reports whether a final reply speaks of the data connection
// (RFC 959: 425 can't open, 426 closed/aborted, 421 service closing) or is
// missing, as opposed to the server refusing the request itself (550...).
func dataReply(code int) bool { return code == 0 || code == 425 || code == 426 || code == 421 }

// failed reports whether a data connection state is a failure.
func failed(st DataState) bool { return st != Established }

// transfer diagnoses one transfer and reports whether its data connection
// failed. later are the transfers after it in the session (for fallbacks).
func (d *diagnoser) transfer(s *Session, t *Transfer, later []*Transfer) bool {
	n := t.Negotiation
	dc := t.Data()
	st := dc.State()
	finalFailed := t.Final.Code >= 400
	ev := func(at Ref, what string) Evidence { return Evidence{At: at, What: what} }
	var evidence []Evidence
	if n != nil {
		if n.CommandAt.Valid() {
			evidence = append(evidence, ev(n.CommandAt, strings.TrimSpace(n.Command+" "+n.Arg)))
		}
		if n.Reply.At.Valid() {
			evidence = append(evidence, ev(n.Reply.At, replyWhat(n.Reply)))
		}
	}
	if dc != nil {
		if dc.SYN.Valid() {
			evidence = append(evidence, ev(dc.SYN, fmt.Sprintf("SYN %s → %s", dc.Src, dc.Dst)))
		}
		switch {
		case dc.SYNACK.Valid():
			evidence = append(evidence, ev(dc.SYNACK, "SYN-ACK"))
		case dc.RST.Valid():
			evidence = append(evidence, ev(dc.RST, "RST"))
		case dc.ICMP.Valid():
			evidence = append(evidence, ev(dc.ICMP, fmt.Sprintf("ICMP unreachable (type %d code %d) from %s", dc.ICMPType, dc.ICMPCode, dc.ICMPFrom)))
		case len(dc.SYNRetries) > 0:
			evidence = append(evidence, ev(dc.Last, fmt.Sprintf("SYN retransmitted %d times, never answered (last after %s)", len(dc.SYNRetries), dc.SYNRetries[len(dc.SYNRetries)-1])))
		}
	}
	if t.Final.Code != 0 {
		evidence = append(evidence, ev(t.Final.At, replyWhat(t.Final)))
	}
	f := &Finding{Session: s, Transfers: []*Transfer{t}, Evidence: evidence}
	what := t.Command
	if t.Arg != "" {
		what += " " + t.Arg
	}
	if what == "" {
		what = "the data connection it negotiated"
	}

	if n == nil {
		if finalFailed {
			f.Code, f.Severity = "transfer-failed", Error
			f.Summary = fmt.Sprintf("%s failed with \"%s\" and no PORT/PASV preceded it in the capture", what, replyWhat(t.Final))
			f.Advice = "The server needs a PORT, EPRT, PASV or EPSV before each transfer; if the client sent one, it was lost from the capture or refused earlier."
			d.add(f)
		}
		return false
	}
	if n.Inferred != "" {
		return dc != nil && failed(st)
	}
	client, server := s.Client.Addr(), s.Server.Addr()
	adv := n.Address
	advClass := ClassOf(adv.Addr())

	if !n.Mode.IsPassive() {
		return d.active(f, s, t, n, dc, st, what, client, server, adv, advClass)
	}

	// Passive modes.
	if n.Reply.Code == 0 {
		if finalFailed {
			d.transferFailed(f, what, t)
		}
		return false // no reply seen: nothing to judge
	}
	if n.Reply.Code >= 400 {
		if (n.Command == "EPSV" || n.Command == "LPSV") && fallsBack(later) {
			f.Code, f.Severity = "extended-refused", Info
			f.Summary = fmt.Sprintf("the server refused %s (%s) and the client fell back to another mode", n.Command, replyWhat(n.Reply))
			f.Advice = "Harmless here, but EPSV needs no address in the reply and so crosses NAT without any helper: enable it on the server if you can."
			d.add(f)
			return false
		}
		if t.Command != "" || finalFailed {
			f.Code, f.Severity = "transfer-failed", Error
			f.Summary = fmt.Sprintf("the server refused %s (%s), so %s could not open a data connection", n.Command, replyWhat(n.Reply), what)
			f.Advice = "Check that the server allows passive mode and has free ports in its passive range."
			d.add(f)
		}
		return false
	}
	if n.ParseError != "" {
		if n.ParseError != errCutByGap {
			f.Code, f.Severity = "transfer-failed", Error
			if !finalFailed {
				f.Severity = Warning
			}
			f.Summary = fmt.Sprintf("the server's %d reply carries no address a client can use (%s)", n.Reply.Code, n.ParseError)
			f.Advice = "Fix the server's passive-mode reply; RFC 959 and RFC 1123 want six numbers h1,h2,h3,h4,p1,p2 in a 227."
			d.add(f)
		}
		return finalFailed
	}
	// A passive address the client cannot reach: private (or otherwise
	// not routable) while the client is elsewhere.
	unreachableAdv := adv.Addr() != server && !advClass.Routable() && adv.Addr() != client ||
		adv.Addr() == server && !advClass.Routable() && ClassOf(client).Routable()
	if unreachableAdv {
		if dc != nil && st == Established {
			if dc.MatchedBy == "control-address" || s.Side == SideServer && ClassOf(client).Routable() && dc.Src.Addr() == client {
				f.Code, f.Severity = "passive-private-address", Warning
				f.Summary = fmt.Sprintf("the server %s advertised the private address %s in its %d reply; the client ignored it and connected to the control address, which worked",
					s.Server, adv.Addr(), n.Reply.Code)
				f.Advice = passiveAdvice(s, adv) + " Until then, only clients that ignore the 227 address (curl's default, lftp ftp:ignore-pasv-address, FileZilla) work."
				d.add(f)
			}
			return false
		}
		f.Code, f.Severity = "passive-private-address", Error
		tried := "did not connect"
		if dc != nil {
			tried = fmt.Sprintf("followed it and its connection got %s", st)
		}
		f.Summary = fmt.Sprintf("the server %s is behind NAT and advertised its private address %s in its %d reply; the client %s", s.Server, adv.Addr(), n.Reply.Code, tried)
		f.Advice = passiveAdvice(s, adv) + " A client can also be told to ignore the 227 address (curl --ftp-skip-pasv-ip, lftp set ftp:ignore-pasv-address yes), or use EPSV, whose reply carries no address."
		d.add(f)
		return true
	}
	return d.dataOutcome(f, s, t, n, dc, st, what)
}

func isLastNegotiation(s *Session, n *Negotiation) bool {
	return len(s.Negotiations) > 0 && s.Negotiations[len(s.Negotiations)-1] == n
}

func fallsBack(later []*Transfer) bool {
	for _, t := range later {
		if t.Negotiation != nil {
			return true
		}
	}
	return false
}

func passiveAdvice(s *Session, adv netip.AddrPort) string {
	return fmt.Sprintf("Configure the server's public address for passive replies (vsftpd pasv_address=<public address of %s>, proftpd MasqueradeAddress, pure-ftpd -P) "+
		"and forward its passive port range (vsftpd pasv_min_port/pasv_max_port; this reply used port %d) from the NAT to the server.", s.Server.Addr(), adv.Port())
}

func (d *diagnoser) transferFailed(f *Finding, what string, t *Transfer) {
	f.Code, f.Severity = "transfer-failed", Error
	f.Summary = fmt.Sprintf("%s failed: the server answered \"%s\"", what, replyWhat(t.Final))
	f.Advice = "The data connection itself worked; the reply says why the server gave up (permissions, missing file, disk full)."
	d.add(f)
}

func (d *diagnoser) active(f *Finding, s *Session, t *Transfer, n *Negotiation, dc *DataConn, st DataState, what string,
	client, server netip.Addr, adv netip.AddrPort, advClass AddrClass) bool {
	finalFailed := t.Final.Code >= 400
	if n.Reply.Code == 0 && n.SplitAt.Valid() && s.Retransmissions > 0 {
		f.Code, f.Severity = "alg-missed-split", Error
		f.Summary = fmt.Sprintf("the client wrote %s in more than one TCP segment (frames %d to %d) and the server never answered it; the control connection retransmitted: "+
			"a NAT's FTP helper (which reads only whole lines at a segment's start) dropped or stalled it", n.Command, n.CommandAt.Frame, n.SplitAt.Frame)
		f.Evidence = append([]Evidence{{At: n.SplitAt, What: "the rest of the " + n.Command + " line"}}, f.Evidence...)
		f.Advice = "Use passive mode (no command to rewrite), or a client that writes each command in one segment; the Linux helper (nf_conntrack_ftp) drops a PORT that does not start and end in one segment."
		d.add(f)
		return true
	}
	if n.Reply.Code == 0 && t.Command == "" && dc == nil {
		return false // a PORT nothing answered or used
	}
	if n.ParseError != "" {
		if n.ParseError != errCutByGap && n.Reply.Code >= 400 {
			f.Code, f.Severity = "port-rejected", Error
			f.Summary = fmt.Sprintf("the client sent a malformed %s (%s) and the server refused it (%s)", n.Command, n.ParseError, replyWhat(n.Reply))
			f.Advice = "Fix the client's " + n.Command + " argument, or use passive mode."
			d.add(f)
		}
		return false
	}
	// Signs that the client is behind a NAT that did not rewrite PORT: the
	// advertised address is not routable and is not the address the
	// client's packets carry here (capture outside the NAT), or it is the
	// client's own private address while the server is public (capture
	// inside the NAT).
	refused := n.Reply.Code >= 400
	natOutside := adv.Addr() != client && !advClass.Routable() && s.Side != SideSameLAN && s.Side != SideClient &&
		adv.Addr().Is4() == client.Is4()
	// Inside, a server connection that arrived shows the way back works (an
	// ALG rewrote the PORT outside): its failure has another cause.
	// A PORT the server accepted and a connection that never arrived inside
	// is ambiguous (no rewrite, or a firewall): it is judged below as a
	// connection that did not cross this point.
	natInside := adv.Addr() == client && !advClass.Routable() && ClassOf(server).Routable() && refused
	if refused && (n.Command == "EPRT" || n.Command == "LPRT") && fallsBack(t.laterIn(s)) {
		f.Code, f.Severity = "extended-refused", Info
		f.Summary = fmt.Sprintf("the server refused %s (%s) and the client fell back to another mode", n.Command, replyWhat(n.Reply))
		f.Advice = "Harmless here. Passive mode (EPSV) would need no address rewriting at all."
		d.add(f)
		return false
	}
	natAdvice := "Use passive mode (curl: leave out -P/--ftp-port; lftp: set ftp:passive-mode on), or attach the kernel FTP helper on the client's NAT router " +
		"(nftables: ct helper ftp-standard { type \"ftp\" protocol tcp; } and a prerouting rule: tcp dport 21 ct helper set \"ftp-standard\"; " +
		"modprobe nf_nat_ftp). No helper can do this for FTPS."
	if natOutside || natInside {
		where := fmt.Sprintf("the client at %s is behind NAT and advertised its private address %s in %s", client, adv.Addr(), n.Command)
		if natInside {
			where = fmt.Sprintf("the client at %s (a private address) talks to the public server %s and advertised %s in %s", client, server, adv, n.Command)
		}
		switch {
		case refused:
			f.Code, f.Severity = "active-nat-no-alg", Error
			verb := "refused it"
			if n.Reply.Code < 500 {
				verb = "could not connect to it"
			}
			f.Summary = where + fmt.Sprintf("; nothing rewrote it, so the server %s (%s)", verb, replyWhat(n.Reply))
		case dc == nil || failed(st):
			f.Code, f.Severity = "active-nat-no-alg", Error
			got := "the server's connection never arrived here"
			if dc != nil {
				got = fmt.Sprintf("the server's connection to it got %s", st)
			}
			f.Summary = where + "; nothing rewrote it, so " + got
		default:
			return false // it worked: an ALG rewrote it, or the server can reach the address
		}
		f.Advice = natAdvice
		d.add(f)
		return true
	}
	if refused {
		f.Code, f.Severity = "port-rejected", Error
		f.Summary = fmt.Sprintf("the server refused %s %s (%s)", n.Command, adv, replyWhat(n.Reply))
		f.Advice = "Servers refuse a PORT whose address is not the control connection's peer, or whose port is below 1024 (vsftpd: port_promiscuous=NO; RFC 2577). " +
			"Make the PORT carry the address the server sees, or use passive mode."
		if t.Command == "" && !finalFailed {
			f.Severity = Warning
		}
		d.add(f)
		return true
	}
	// Accepted. A third party or a privileged port is a bounce (RFC 2577),
	// unless the address is another server's passive address (FXP) or the
	// client is itself behind NAT and named its public address.
	// A different address family is the client's own other address, not
	// a third party.
	thirdParty := adv.Addr() != client && adv.Addr().Is4() == client.Is4() &&
		(advClass.Routable() && ClassOf(client).Routable() || !advClass.Routable() && !ClassOf(client).Routable() && s.Side == SideSameLAN)
	// The server connected to the client's own address instead: the PORT
	// address was not used, so nothing was bounced.
	if dc != nil && dc.MatchedBy == "control-address" {
		thirdParty = false
	}
	if thirdParty && !d.isFXP(adv) || adv.Port() < 1024 {
		b := &Finding{Code: "bounce", Severity: Warning, Session: s, Transfers: []*Transfer{t}, Evidence: f.Evidence[:1]}
		if adv.Port() < 1024 {
			b.Summary = fmt.Sprintf("%s names the privileged port %d (%s): a server that accepts it can be used to reach other services (FTP bounce, RFC 2577)", n.Command, adv.Port(), adv)
		} else {
			b.Summary = fmt.Sprintf("%s names %s, not the client's own address %s, and the server accepted it: a third-party data connection (FTP bounce, RFC 2577)", n.Command, adv.Addr(), client)
		}
		b.Advice = "Unless this is deliberate server-to-server transfer, make the server refuse PORT to addresses other than the client's and to ports below 1024 (vsftpd port_promiscuous=NO)."
		d.add(b)
	}
	return d.dataOutcome(f, s, t, n, dc, st, what)
}

// dataOutcome judges a transfer whose negotiation itself was fine.
func (d *diagnoser) dataOutcome(f *Finding, s *Session, t *Transfer, n *Negotiation, dc *DataConn, st DataState, what string) bool {
	switch {
	case t.Final.Code >= 400 && !dataReply(t.Final.Code):
		// The server refused the request itself (550 no such file...).
		d.transferFailed(f, what, t)
		return false
	case dc != nil && st == Established:
		if t.Final.Code >= 400 && t.Final.Code != 426 {
			d.transferFailed(f, what, t)
		}
		return false
	case dc == nil && n.Mode.IsPassive() && t.Command == "" && n.Reply.Code >= 200 && n.Reply.Code < 300 && isLastNegotiation(s, n):
		// Clients connect before sending the command: a passive reply
		// followed by nothing means the client could not connect (a SYN
		// dropped before this capture point) and gave up.
		return d.dataFailure(f, s, t, n, dc, NotAttempted, what)
	case dc == nil && (t.Command == "" || t.Final.Code >= 200 && t.Final.Code < 400 ||
		t.Final.Code == 0 && (t.Prelim.Code == 125 || t.Prelim.Code == 150)):
		// Nothing was to connect (no command used the negotiation), or the
		// transfer worked (or the server said the connection was opening and
		// the capture ended) and the connection is simply not captured here.
		return false
	}
	return d.dataFailure(f, s, t, n, dc, st, what)
}

func (t *Transfer) laterIn(s *Session) []*Transfer {
	for i, u := range s.Transfers {
		if u == t {
			return s.Transfers[i+1:]
		}
	}
	return nil
}

func (d *diagnoser) isFXP(ap netip.AddrPort) bool {
	for _, p := range d.passiveAddrs {
		if p == ap {
			return true
		}
	}
	return false
}

// dataFailure reports a data connection that failed for a reason on the
// path: dropped, reset, unreachable, or never attempted.
func (d *diagnoser) dataFailure(f *Finding, s *Session, t *Transfer, n *Negotiation, dc *DataConn, st DataState, what string) bool {
	passive := n.Mode.IsPassive()
	target := n.Address.String()
	if dc != nil {
		target = dc.Dst.String()
	}
	by, fw := "the server", "the client"
	if passive {
		by, fw = "the client", "the server"
	}
	reply := ""
	if t.Final.Code != 0 {
		reply = fmt.Sprintf("; the server answered \"%s\"", replyWhat(t.Final))
	}
	if t.Command == "" && n != nil && n.Command != "" {
		// No transfer command: "for the data connection it negotiated"
		// would repeat the subject.
		what = n.Command + " (no transfer command followed)"
	}
	switch st {
	case NoAnswer:
		f.Code, f.Severity = "data-no-answer", Error
		f.Summary = fmt.Sprintf("%s's data connection to %s for %s was never answered (SYN sent %d times): a firewall dropped it%s", by, target, what, 1+len(dc.SYNRetries), reply)
	case Refused:
		f.Code, f.Severity = "data-refused", Error
		f.Summary = fmt.Sprintf("%s's data connection to %s for %s was reset (RST): nothing listened there, or a firewall rejects it%s", by, target, what, reply)
	case Unreachable:
		f.Code, f.Severity = "data-unreachable", Error
		f.Summary = fmt.Sprintf("%s's data connection to %s for %s got ICMP unreachable (type %d code %d) from %s%s", by, target, what, dc.ICMPType, dc.ICMPCode, dc.ICMPFrom, reply)
	case NotAttempted:
		f.Code, f.Severity = "data-not-attempted", Error
		f.Summary = fmt.Sprintf("no connection to %s for %s was seen at this capture point%s", target, what, reply)

	}
	if passive {
		f.Advice = fmt.Sprintf("Open the server's passive port range on every firewall in front of %s (this reply used port %d) and pin the range on the server "+
			"(vsftpd pasv_min_port/pasv_max_port, proftpd PassivePorts); with nftables: tcp dport <min>-<max> accept.", fw, n.Address.Port())
	} else {
		f.Advice = fmt.Sprintf("Use passive mode, or let %s accept connections from the server to port %d (a firewall in front of the client drops or rejects them).", fw, n.Address.Port())
	}
	if st == NotAttempted && !passive && !ClassOf(n.Address.Addr()).Routable() && ClassOf(s.Server.Addr()).Routable() {
		f.Summary += fmt.Sprintf(" (%s is private: if a NAT is in between, check that its FTP helper rewrote the %s; the server accepted it, which a server checking the peer address does only after a rewrite)", n.Address.Addr(), n.Command)
	}
	if st == NotAttempted {
		f.Advice = "Nothing for this negotiation crossed this capture point. If the point is on the path, the connection was dropped before it (look at a capture nearer the initiator), or " + by + " never tried (its log says why)."
	}
	d.add(f)
	return true
}

// hops says how many routers a packet crossed, in words.
func hops(n int) string {
	if n == 1 {
		return "1 router hop"
	}
	return fmt.Sprintf("%d router hops", n)
}
