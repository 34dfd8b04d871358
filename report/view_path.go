package report

import (
	"fmt"
	"strings"

	"github.com/ftpsniff/ftpsniff/analyze"
	"github.com/ftpsniff/ftpsniff/diagnose"
	"github.com/ftpsniff/ftpsniff/report/term"
)

// PathView is the story of the sessions seen at several capture points:
// the points in path order, the boxes between them, and one story per
// session.
type PathView struct {
	// Points are the points' names in path order; Order says so in one
	// line ("client-lan → nat-outside → server-lan"), OrderWhy how it was
	// decided, Clocks each point's clock offset from the first.
	Points          []string
	Order, OrderWhy string
	Clocks          string
	Boxes           []BoxView
	Stories         []StoryView
	// Answer is what the reader wants first about the stories: how many
	// of their transfers failed, the errors and warnings, the first fix.
	Answer []string
}

// BoxView is what lies between two neighbouring points.
type BoxView struct {
	Near, Far string
	// What says what it does, from the traffic: "NAT of the clients
	// (10.1.0.2 → 198.51.100.1), 1 router hop", "no router: one link".
	What string
	// NAT: it translates the clients' or the servers' addresses.
	NAT bool
}

// StoryView is one session seen at several points.
type StoryView struct {
	// Title names the session: its client and server as the first point
	// saw them; Sessions its ID at each point ("client-lan S1, ...").
	Title, Sessions string
	// Control says what became of the control connection's SYN when it
	// was not answered ("" when it was).
	Control      string
	Negotiations []PathNegotiationView
	Findings     []FindingView
}

// PathNegotiationView is one negotiation along the path.
type PathNegotiationView struct {
	Command string
	// Seen is what each point saw, in path order: "client-lan 13: PORT
	// 10,1,0,2,156,65" or "nat-outside: not seen".
	Seen []string
	// Boxes says what each box did to it (boxes that translate what it
	// carries, or changed it), "between a and b: verdict: why".
	Boxes []string
	// Data is where its data connection's SYN went.
	Data string
	// Failed: the data connection died on the way or was never opened.
	Failed bool
}

// pathView builds the view of a path's stories.
func pathView(d *diagnose.PathDiagnosis) *PathView {
	v := &PathView{OrderWhy: term.Clean(d.OrderWhy)}
	var clocks []string
	for i, r := range d.Path.Points {
		v.Points = append(v.Points, term.Clean(r.Point))
		if i > 0 {
			clocks = append(clocks, fmt.Sprintf("%s %+.6fs", term.Clean(r.Point), d.Offsets[i].Seconds()))
		}
	}
	v.Order = strings.Join(v.Points, " → ")
	if len(clocks) > 0 {
		v.Clocks = "clock offsets from " + v.Points[0] + ": " + strings.Join(clocks, ", ")
	}
	for _, b := range d.Boxes {
		v.Boxes = append(v.Boxes, BoxView{Near: term.Clean(b.Near), Far: term.Clean(b.Far), What: boxWhat(b), NAT: b.ClientNAT > 0 || b.ServerNAT > 0})
	}
	for _, st := range d.Stories {
		v.Stories = append(v.Stories, storyView(d, st))
	}
	// The answer counts each story's transfers once, as the point nearest
	// the server saw them (the server's replies pass there).
	verdicts := d.Verdicts()
	var rows []TransferRow
	for _, st := range d.Stories {
		seen := st.Seen()
		i := seen[len(seen)-1]
		s := st.At[i]
		for _, t := range s.Transfers {
			rows = append(rows, transferRow(d.Path.Points[i], s, t, verdicts[t]))
		}
	}
	v.Answer = answer(rows, d.Findings(), len(d.Stories))
	return v
}

// boxWhat says what a box does, as far as the sessions crossing it show.
func boxWhat(b *analyze.Box) string {
	var parts []string
	if b.ClientNAT > 0 {
		what := "NAT of the clients"
		if analyze.ClassOf(b.ClientAddrs[0].Addr()) == analyze.ClassCGNAT {
			what = "carrier-grade NAT of the clients (shared address space 100.64.0.0/10 inside)"
		}
		parts = append(parts, fmt.Sprintf("%s (%s → %s)", what, b.ClientAddrs[0].Addr(), b.ClientAddrs[1].Addr()))
	}
	if b.ServerNAT > 0 {
		parts = append(parts, fmt.Sprintf("port forwarding to the servers (%s → %s)", b.ServerAddrs[1].Addr(), b.ServerAddrs[0].Addr()))
	}
	switch {
	case b.Sessions == 0:
		parts = append(parts, "no session seen on both sides")
	case b.Hops == 0 && len(parts) == 0:
		parts = append(parts, "no router between them (the same hop limits on both sides)")
	case b.Hops > 0:
		parts = append(parts, plural(b.Hops, "router hop"))
	}
	if len(parts) == 0 {
		parts = append(parts, "translates no address")
	}
	return term.Clean(strings.Join(parts, "; "))
}

func storyView(d *diagnose.PathDiagnosis, st *diagnose.Story) StoryView {
	first := st.First()
	sv := StoryView{Title: term.Clean(fmt.Sprintf("%s → %s", first.Client, first.Server))}
	var ids []string
	for i, s := range st.At {
		if s != nil {
			ids = append(ids, d.Path.Points[i].Point+" "+s.ID)
		}
	}
	sv.Sessions = term.Clean(strings.Join(ids, ", "))
	if st.Control.State != analyze.Established && len(st.Control.SeenAt) > 0 {
		sv.Control = term.Clean("control connection: " + openingWords(d, st.Control))
	}
	for _, pn := range st.Negotiations {
		nv := PathNegotiationView{Command: term.Clean(pn.Command)}
		for i, n := range pn.At {
			name := d.Path.Points[i].Point
			switch {
			case st.At[i] == nil:
				nv.Seen = append(nv.Seen, name+": session not seen")
			case n == nil:
				nv.Seen = append(nv.Seen, name+": not seen")
			default:
				nv.Seen = append(nv.Seen, fmt.Sprintf("%s %s: %s", name, frameIn(d.Path.Points[i], n.At), n.Line()))
			}
		}
		for bi, c := range pn.Crossings {
			if c == nil || c.Verdict == analyze.ALGUntouched && !c.NATAddr.IsValid() {
				continue
			}
			nv.Boxes = append(nv.Boxes, fmt.Sprintf("%s: %s: %s", d.Boxes[bi].Name(), c.Verdict, c.Why))
		}
		nv.Data = "data connection: " + openingWords(d, pn.Data)
		nv.Failed = pn.Data.State != analyze.Established
		for i := range nv.Seen {
			nv.Seen[i] = term.Clean(nv.Seen[i])
		}
		for i := range nv.Boxes {
			nv.Boxes[i] = term.Clean(nv.Boxes[i])
		}
		nv.Data = term.Clean(nv.Data)
		sv.Negotiations = append(sv.Negotiations, nv)
	}
	sv.Findings = findingViews(st.Findings, d.Path.Points[st.Seen()[0]], d.Path.Points...)
	for i, f := range sv.Findings {
		for j := range f.Evidence {
			if f.Evidence[j].Point == "" {
				sv.Findings[i].Evidence[j].Point = term.Clean(f.Finding.Point) // every frame with its point
			}
		}
	}
	return sv
}

// openingWords says where a SYN went along the path.
func openingWords(d *diagnose.PathDiagnosis, o analyze.PathOpening) string {
	names := func(is []int) string {
		var out []string
		for _, i := range is {
			out = append(out, d.Path.Points[i].Point)
		}
		return strings.Join(out, ", ")
	}
	switch {
	case len(o.SeenAt) == 0:
		return "no SYN seen at any point"
	case o.State == analyze.Established:
		return fmt.Sprintf("established; the SYN was seen at %s", names(o.SeenAt))
	case o.DiedBefore < 0:
		return fmt.Sprintf("%s; the SYN was seen at %s, the last capture point on its way: it went on beyond it", o.State, names(o.SeenAt))
	}
	if o.BeforeEnded {
		return fmt.Sprintf("%s; the SYN was seen at %s, not at %s, whose capture holds nothing from then on", o.State, names(o.SeenAt), d.Path.Points[o.DiedBefore].Point)
	}
	return fmt.Sprintf("%s; the SYN was seen at %s and died between %s and %s", o.State, names(o.SeenAt), d.Path.Points[o.DiedAfter].Point, d.Path.Points[o.DiedBefore].Point)
}

// upperFirst capitalises a sentence's first letter.
func upperFirst(s string) string {
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		return s
	}
	return string(s[0]-'a'+'A') + s[1:]
}
