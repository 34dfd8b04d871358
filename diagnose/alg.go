package diagnose

import (
	"fmt"

	"github.com/ftpsniff/ftpsniff/analyze"
)

// ALGDiagnosis is the comparison of two capture points on either side of a
// NAT, with its findings.
type ALGDiagnosis struct {
	*analyze.ALGResult
	// Inside and Outside are the two points' own diagnoses.
	Inside, Outside *Point
	Findings        []*Finding
}

// An algRule reads one negotiation compared across the NAT and returns its
// finding, or nil. Every rule is asked: a rewrite can be wrong and break
// TCP at once.
type algRule struct {
	name string
	run  func(a *analyze.ALGResult, c *analyze.ALGComparison) *Finding
}

// algRules are asked about every comparison, in this order.
var algRules = []algRule{
	{"alg-missed-split", algMissedSplit},
	{"alg-not-rewritten", algNotRewritten},
	{"alg-rewrite", algRewritten},
	{"alg-rewrite-wrong", algRewrittenWrong},
	{"alg-seq-broken", algSeqBroken},
}

// DiagnoseALG makes the findings of a two-point comparison of inside and
// outside.
func DiagnoseALG(a *analyze.ALGResult, inside, outside *Point) *ALGDiagnosis {
	d := &ALGDiagnosis{ALGResult: a, Inside: inside, Outside: outside}
	fs := findings{point: a.Outside.Point}
	for _, c := range a.Comparisons {
		for _, r := range algRules {
			f := r.run(a, c)
			if f == nil {
				continue
			}
			f.Session = c.OutsideSession
			f.Evidence = algEvidence(a, c)
			fs.add(f)
		}
	}
	SortFindings(fs.out)
	d.Findings = fs.out
	return d
}

// algEvidence cites the negotiation on both sides.
func algEvidence(a *analyze.ALGResult, c *analyze.ALGComparison) []Evidence {
	var ev []Evidence
	if c.Inside != nil {
		ev = append(ev, Evidence{At: c.Inside.At, What: "inside: " + c.Inside.Line(), Point: a.Inside.Point})
	}
	if c.Outside != nil {
		ev = append(ev, Evidence{At: c.Outside.At, What: "outside: " + c.Outside.Line(), Point: a.Outside.Point})
	}
	return ev
}

// algMissedSplit: a command split across segments inside never came out
// of the NAT.
func algMissedSplit(a *analyze.ALGResult, c *analyze.ALGComparison) *Finding {
	if c.Verdict != analyze.ALGMissedSplit {
		return nil
	}
	return &Finding{Code: ALGMissedSplit, Severity: Error,
		Summary: fmt.Sprintf("the client's %s was split across TCP segments; the NAT's FTP helper did not pass it on rewritten (it never appears outside)", c.Inside.Command),
		Advice:  "Use passive mode, or make the client write each command in one segment; the Linux helper drops a PORT that is not whole in one segment."}
}

// algNotRewritten: a client's private PORT left the NAT unchanged.
func algNotRewritten(a *analyze.ALGResult, c *analyze.ALGComparison) *Finding {
	if c.Verdict != analyze.ALGNotRewritten || c.Inside.Mode.IsPassive() {
		return nil
	}
	f := &Finding{Code: ActiveNATNoALG, Severity: Error,
		Summary: fmt.Sprintf("nothing rewrote the client's %s: the %s %s left the NAT (outside, the client is %s)", c.Inside.Command, addrKind(c.Inside.Address.Addr()), c.Inside.Address.Addr(), c.NATAddr),
		Advice:  "Attach the kernel FTP helper on this NAT (nftables ct helper \"ftp\" and a rule setting it for tcp dport 21), or use passive mode."}
	if isShared(c.Inside.Address.Addr()) {
		f.Summary = fmt.Sprintf("nothing rewrote the client's %s: %s, a %s, left the NAT (outside, the client is %s). This NAT translates the shared address space to a public one: "+
			"it is a carrier-grade NAT", c.Inside.Command, c.Inside.Address.Addr(), addrKind(c.Inside.Address.Addr()), c.NATAddr)
		f.Advice = carrierNATAdvice("this NAT")
	}
	return f
}

// algRewritten: the NAT's helper rewrote the negotiation correctly.
func algRewritten(a *analyze.ALGResult, c *analyze.ALGComparison) *Finding {
	if c.Verdict != analyze.ALGRewritten {
		return nil
	}
	f := &Finding{Code: ALGRewrite, Severity: Info, Advice: "Nothing to do: the helper works for this session."}
	if c.SeqChecked && !c.SeqConsistent {
		f.Advice = "The address and port are right; the sequence numbers after the rewrite are not (alg-seq-broken)."
	}
	if c.Inside.Mode.IsPassive() {
		f.Summary = fmt.Sprintf("the NAT's FTP helper rewrote the passive reply between %s (inside) and %s (outside) correctly", c.Inside.Address, c.Outside.Address)
	} else {
		f.Summary = fmt.Sprintf("the NAT's FTP helper rewrote %s %s to %s correctly", c.Inside.Command, c.Inside.Address, c.Outside.Address)
	}
	return f
}

// algRewrittenWrong: the NAT rewrote the negotiation into something that
// matches nothing, or changed more than the numbers.
func algRewrittenWrong(a *analyze.ALGResult, c *analyze.ALGComparison) *Finding {
	if c.Verdict != analyze.ALGRewrittenWrong {
		return nil
	}
	if c.TextChanged {
		return &Finding{Code: ALGRewriteWrong, Severity: Error,
			Summary: fmt.Sprintf("the NAT changed more than the address in the %d reply (\"%s\" became \"%s\")", c.Inside.Reply.Code, c.Inside.Reply.Text, c.Outside.Reply.Text),
			Advice:  "An ALG must rewrite only the numbers; clients parsing the reply may fail. Update or disable the helper and configure the server's passive address instead."}
	}
	in, out := c.Inside.Address, c.Outside.Address
	f := &Finding{Code: ALGRewriteWrong, Severity: Error,
		Advice: "The FTP helper on this NAT is broken or misconfigured: update it, or disable it and use passive mode with the server's address configured."}
	switch {
	case c.Inside.Mode.IsPassive():
		f.Summary = fmt.Sprintf("the NAT rewrote the server's %d reply from %s to %s, which is not the address the client reaches the server at (%s)", c.Inside.Reply.Code, in, out, c.NATAddr)
		if out.Port() != in.Port() {
			f.Summary += fmt.Sprintf(", and port %d is not the server's %d", out.Port(), in.Port())
		}
		f.Advice = "The FTP helper on this port forwarding is broken or misconfigured: update it, or disable it and configure the server's public address for passive replies (vsftpd pasv_address, proftpd MasqueradeAddress)."
	case !c.NATAddr.IsValid():
		f.Summary = fmt.Sprintf("a box that does not translate the client changed %s from %s to %s", c.Inside.Command, in, out)
	case out.Addr() != c.NATAddr && out.Port() == in.Port():
		f.Summary = fmt.Sprintf("the NAT rewrote %s from %s to %s: it kept the client's port but wrote an address that is not its outside address %s (the client's address as the server sees it)", c.Inside.Command, in, out, c.NATAddr)
	case out.Addr() == c.NATAddr:
		f.Summary = fmt.Sprintf("the NAT rewrote %s from %s to %s: the address is its outside address, but the port is not the one the client listens on (%d)", c.Inside.Command, in, out, in.Port())
	default:
		f.Summary = fmt.Sprintf("the NAT rewrote %s from %s to %s: neither its outside address %s nor the client's port %d", c.Inside.Command, in, out, c.NATAddr, in.Port())
	}
	return f
}

// algSeqBroken: after a rewrite that changed the line's length, the NAT
// did not shift the client's sequence numbers by as much.
func algSeqBroken(a *analyze.ALGResult, c *analyze.ALGComparison) *Finding {
	if !c.SeqChecked || c.SeqConsistent {
		return nil
	}
	who, line := "client", c.Inside.Command
	if c.Inside.Mode.IsPassive() {
		who, line = "server", fmt.Sprintf("the %d reply", c.Inside.Reply.Code)
	}
	other := "server"
	if who == "server" {
		other = "client"
	}
	return &Finding{Code: ALGSeqBroken, Severity: Error,
		Summary: fmt.Sprintf("the NAT rewrote %s %s to %s, changing the line's length by %+d bytes, but shifted the %s's later sequence numbers by %d: "+
			"from there on the %s and the %s count the %s's bytes %d apart, and TCP across the NAT is broken", line, c.Inside.Address, c.Outside.Address, c.LengthChange, who, c.SeqShift,
			who, other, who, abs64(int64(c.LengthChange)-c.SeqShift)),
		Advice: "The NAT must shift every later sequence and acknowledgement number by the length change (the Linux helper does, through nf_nat_seq_adjust); replace or fix the device, or use passive mode."}
}

func abs64(v int64) int64 {
	if v < 0 {
		return -v
	}
	return v
}
