package ladder

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/ftpsniff/ftpsniff/analyze"
	"github.com/ftpsniff/ftpsniff/diagnose"
	"github.com/ftpsniff/ftpsniff/report/term"
)

// A path ladder draws one story of a path (a session seen at several
// capture points) with a column per point that saw it, where the point
// sits between the client and the server. Each control line is one arrow
// from the client to the server (or back), matched across the points by
// its verb or reply code in order; it ends in a ✕ midway between the last
// point that saw it and the next, when that point was capturing and never
// saw it. Data connections follow analyze.PathNegotiation.Data, and what a
// box did to a negotiation's line (analyze.ALGComparison) stands between
// the box's two points.

const (
	// lineSlack is how far apart (on the first point's clock) the same
	// control line may be seen at two points.
	lineSlack = 2 * time.Second
	// lineLookahead bounds how many lines the matching skips to find the
	// same line at another point (lines one point missed or never saw).
	lineLookahead = 16
)

// boxCodes are findings about what a box did to a negotiation: drawn
// between the box's two points when they name exactly those two.
var boxCodes = map[diagnose.Code]bool{
	diagnose.ALGRewrite: true, diagnose.ALGRewriteWrong: true, diagnose.ALGMissedSplit: true, diagnose.ALGSeqBroken: true,
	diagnose.ActiveNATNoALG: true, diagnose.PassivePrivateAddress: true, diagnose.TLSBlindALG: true,
}

// boxVerdicts are the verdicts drawn between two points: the box changed
// the line, or should have.
var boxVerdicts = map[analyze.ALGVerdict]bool{
	analyze.ALGRewritten: true, analyze.ALGRewrittenWrong: true, analyze.ALGNotRewritten: true, analyze.ALGMissedSplit: true,
}

// pathBuilder draws one story.
type pathBuilder struct {
	*builder
	d    *diagnose.PathDiagnosis
	st   *diagnose.Story
	seen []int       // the points that saw the session, in path order
	col  map[int]int // a point's column
	ref  int         // the first point that saw the session: the rows' clock
	// start is the session's start at ref, on the first point's clock
	// (every time is moved to it by the point's offset).
	start  time.Time
	frames map[int]frameSet // each point's frames of the session
	dl     map[int]*dialogue
	pnOf   map[*analyze.Negotiation]*analyze.PathNegotiation
	// negKey is the sort key of each negotiation's line row, so that what
	// a box did to it comes right after it.
	negKey map[*analyze.PathNegotiation]time.Duration
}

// pathLine is one control line as the points saw it.
type pathLine struct {
	fromClient bool
	at         []int // the line's index at each point, -1 where not seen
	src        int   // the point whose text, time and frame the row shows
	key        time.Duration
}

func (l *pathLine) last() int {
	for i := len(l.at) - 1; i >= 0; i-- {
		if l.at[i] >= 0 {
			return i
		}
	}
	return -1
}

func (pb *pathBuilder) name(i int) string { return term.Clean(pb.d.Path.Points[i].Point) }

func (pb *pathBuilder) res(i int) *analyze.Result { return pb.d.Path.Points[i] }

// clock moves a time seen at point i to the ladder's clock.
func (pb *pathBuilder) clock(i int, t time.Time) time.Duration {
	return t.Add(-pb.d.Offsets[i]).Sub(pb.start)
}

// frame names a frame seen at point i: "client-lan#13".
func (pb *pathBuilder) frame(i int) func(analyze.Ref) string {
	return func(ref analyze.Ref) string { return FrameLabel(pb.name(i), ref.Frame) }
}

// names lists points in words: "a, b and c".
func (pb *pathBuilder) names(is []int) string {
	var ns []string
	for _, i := range is {
		ns = append(ns, pb.name(i))
	}
	if len(ns) < 2 {
		return strings.Join(ns, "")
	}
	return strings.Join(ns[:len(ns)-1], ", ") + " and " + ns[len(ns)-1]
}

// capturing reports whether point i was capturing the session at time t
// (on the first point's clock) and would have seen a line or packet of it
// then: inside its capture, after the session's start there, before the
// lines the analysis stopped keeping, and with no bytes its capture missed.
func (pb *pathBuilder) capturing(i int, t time.Time) bool {
	r, s := pb.res(i), pb.st.At[i]
	if s == nil {
		return false
	}
	ti := t.Add(pb.d.Offsets[i])
	switch {
	case ti.Before(r.Start), ti.After(r.End):
		return false
	case s.MidStream && ti.Before(s.Start):
		return false
	case s.DroppedLines > 0 && len(s.Lines) > 0 && ti.After(s.Lines[len(s.Lines)-1].At.Time.Time()):
		return false
	case s.Gaps > s.UnackedGaps:
		return false // the capture itself missed part of the stream
	}
	return true
}

// BuildPath draws story st of path d as one ladder: the client, each
// capture point that saw the session in path order, the server. Each
// control line is one arrow from end to end, ending in a ✕ between the
// last point that saw it and the next when it got no further; each data
// connection's SYN likewise (with the reset or ICMP error that answered
// it); what a box did to a negotiation's line stands between the box's two
// points; and the story's findings where they happened. Times are those of
// the first point that saw the session; the others' are moved by the
// path's estimated clock offsets. Every frame is named with its point.
func BuildPath(d *diagnose.PathDiagnosis, st *diagnose.Story) *Ladder {
	pb := &pathBuilder{d: d, st: st, col: map[int]int{}, frames: map[int]frameSet{}, dl: map[int]*dialogue{},
		pnOf: map[*analyze.Negotiation]*analyze.PathNegotiation{}, negKey: map[*analyze.PathNegotiation]time.Duration{}}
	pb.seen = st.Seen()
	if len(pb.seen) == 0 {
		return &Ladder{Session: "?", Notes: []string{"No capture point saw this session."}}
	}
	pb.ref = pb.seen[0]
	first := st.At[pb.ref]
	pb.start = first.Start.Add(-d.Offsets[pb.ref])
	for _, pn := range st.Negotiations {
		for _, n := range pn.At {
			if n != nil {
				pb.pnOf[n] = pn
			}
		}
	}

	var ids []string
	same := true
	for _, i := range pb.seen {
		ids = append(ids, pb.name(i)+" "+st.At[i].ID)
		same = same && st.At[i].ID == first.ID
	}
	l := &Ladder{Session: first.ID, Start: pb.start}
	if !same {
		l.Session = strings.Join(ids, " ↔ ")
	}
	var route []string
	for _, i := range pb.seen {
		route = append(route, pb.name(i))
	}
	l.Title = fmt.Sprintf("%s: %s → %s, seen at %s", l.Session, first.Client, first.Server, strings.Join(route, " → "))
	pb.builder = &builder{l: l, mid: -1}

	// Columns: the client, the points, the server.
	last := st.At[pb.seen[len(pb.seen)-1]]
	client := Column{Role: RoleClient, Name: "client", Addr: []string{first.Client.Addr().String()}}
	if a := last.Client.Addr(); a != first.Client.Addr() {
		client.Addr = append(client.Addr, a.String())
	}
	server := Column{Role: RoleServer, Name: "server", Addr: []string{last.Server.Addr().String()}}
	if a := first.Server.Addr(); a != last.Server.Addr() {
		server.Addr = append(server.Addr, a.String())
	}
	l.Columns = append(l.Columns, client)
	for _, i := range pb.seen {
		pb.col[i] = len(l.Columns)
		l.Columns = append(l.Columns, Column{Role: RolePoint, Name: pb.name(i)})
	}
	pb.client, pb.server = 0, len(l.Columns)
	l.Columns = append(l.Columns, server)

	pb.notes(ids)
	for _, i := range pb.seen {
		pb.frames[i] = sessionFrames(st.At[i])
		pb.dl[i] = newDialogue(pb.res(i), st.At[i], st.At[i].Start)
	}

	negs := pb.chooseNegotiations()
	lines := pb.mergeLines()
	pb.lineRows(lines, negs)
	if len(negs) < len(st.Negotiations) {
		l.Notes = append(l.Notes, fmt.Sprintf("%d of %d negotiations and their data connections are drawn (failed ones first).", len(negs), len(st.Negotiations)))
	}
	if st.Control.Died() {
		pb.openingRows(st.Control, pb.controlConn, "control connection")
	}
	for _, pn := range negs {
		pb.unlined(pn)
		pb.crossingRows(pn)
		pb.dataRows(pn)
	}
	pb.sessionNotes(first)
	for _, f := range st.Findings {
		pb.findingRow(f)
	}
	return pb.finish()
}

// notes say where the session was seen, what the boxes translate, and how
// the clocks were lined up.
func (pb *pathBuilder) notes(ids []string) {
	l, st, d := pb.l, pb.st, pb.d
	l.Notes = append(l.Notes, fmt.Sprintf("Seen at %d capture points (%s); path order %s.", len(pb.seen), strings.Join(ids, ", "), term.Clean(d.OrderWhy)))
	var missing []int
	for i := range d.Path.Points {
		if st.At[i] == nil {
			missing = append(missing, i)
		}
	}
	if len(missing) > 0 {
		l.Notes = append(l.Notes, fmt.Sprintf("Not seen at %s: no column.", pb.names(missing)))
	}
	for k := 0; k+1 < len(pb.seen); k++ {
		a, b := st.At[pb.seen[k]], st.At[pb.seen[k+1]]
		where := fmt.Sprintf("between %s and %s", pb.name(pb.seen[k]), pb.name(pb.seen[k+1]))
		if a.Client.Addr() != b.Client.Addr() {
			l.Notes = append(l.Notes, fmt.Sprintf("The client %s becomes %s %s: a NAT translates it.", a.Client, b.Client, where))
		}
		if a.Server.Addr() != b.Server.Addr() {
			l.Notes = append(l.Notes, fmt.Sprintf("The server the client reaches as %s is %s beyond the box %s: it forwards the port.", a.Server, b.Server, where))
		}
	}
	for bi, c := range st.Encrypted {
		if c != nil && bi+1 < len(d.Path.Points) {
			l.Notes = append(l.Notes, fmt.Sprintf("Between %s and %s: %s.", pb.name(bi), pb.name(bi+1), term.Clean(c.Why)))
		}
	}
	var clocks []string
	for _, i := range pb.seen[1:] {
		clocks = append(clocks, fmt.Sprintf("%s %+.6fs", pb.name(i), (d.Offsets[i]-d.Offsets[pb.ref]).Seconds()))
	}
	if len(clocks) > 0 {
		l.Notes = append(l.Notes, fmt.Sprintf("Times are %s's; the other points' are moved by their estimated clock offsets (%s).", pb.name(pb.ref), strings.Join(clocks, ", ")))
	}
}

// sessionNotes adds what the first point saw of the session as a whole:
// holes, TLS, lines that are not FTP.
func (pb *pathBuilder) sessionNotes(s *analyze.Session) {
	l, r := pb.l, pb.res(pb.ref)
	for _, i := range pb.seen {
		if s := pb.st.At[i]; s.Gaps > 0 {
			l.Notes = append(l.Notes, fmt.Sprintf("At %s, %s (%s bytes) missing from the control stream.", pb.name(i), holes(s.Gaps), groupDigits(s.MissingBytes)))
		}
		if s := pb.st.At[i]; s.MidStream && i == pb.ref {
			l.Notes = append(l.Notes, fmt.Sprintf("%s's capture begins after the control connection was set up: its start is missing.", pb.name(i)))
		}
	}
	if s.TLS && s.TLSAt.Valid() {
		label := "TLS starts: the rest of the control dialogue is encrypted"
		if s.DetectedBy == "implicit-tls" {
			label = "implicit FTPS: the control dialogue is encrypted from the start"
		}
		if s.TLSEnded {
			label += " (clear text came back later: CCC)"
		}
		at := pb.clock(pb.ref, s.TLSAt.Time.Time())
		pb.add(at, withEvidence(Row{Kind: RowNote, At: at, From: pb.client, To: pb.client, Stop: -1, Label: label}, r, s.TLSAt))
	}
	if s.ProtocolErrors > 0 && s.FirstErrorAt.Valid() {
		at := pb.clock(pb.ref, s.FirstErrorAt.Time.Time())
		pb.add(at, withEvidence(Row{Kind: RowNote, At: at, From: pb.client, To: pb.client, Stop: -1, Severity: "warning",
			Label: fmt.Sprintf("%d lines that are not FTP; the first: %s", s.ProtocolErrors, term.Clean(s.FirstError))}, r, s.FirstErrorAt))
	}
}

// lineKey is what identifies a control line at every point: a command's
// verb (a box rewrites arguments, not verbs), a reply's code.
func lineKey(text string) string {
	if len(text) >= 3 && text[0] >= '0' && text[0] <= '9' && text[1] >= '0' && text[1] <= '9' && text[2] >= '0' && text[2] <= '9' {
		return text[:3]
	}
	verb, _, _ := strings.Cut(text, " ")
	return strings.ToUpper(verb)
}

// mergeLines matches the control lines of every point: each direction
// apart (the two directions may interleave differently at two points), in
// order, by lineKey and time. It returns them in the rows' order: by the
// first point's order, lines it did not see by their time.
func (pb *pathBuilder) mergeLines() []*pathLine {
	var all []*pathLine
	for _, fromClient := range []bool{true, false} {
		var groups []*pathLine
		for _, i := range pb.seen {
			var idx []int
			for k, ln := range pb.st.At[i].Lines {
				if ln.FromClient == fromClient {
					idx = append(idx, k)
				}
			}
			groups = pb.align(groups, i, idx, fromClient)
		}
		all = append(all, groups...)
	}
	// Sort keys: the first point's lines by the running maximum of their
	// times, in its order (as Build does); others by their own time.
	ref := pb.ref
	var atRef []*pathLine
	for _, g := range all {
		g.src = -1
		if g.at[ref] >= 0 {
			g.src = ref
			atRef = append(atRef, g)
			continue
		}
		for _, i := range pb.seen {
			if g.at[i] >= 0 {
				g.src = i
				break
			}
		}
		g.key = pb.clock(g.src, pb.line(g, g.src).At.Time.Time())
	}
	sort.Slice(atRef, func(a, b int) bool { return atRef[a].at[ref] < atRef[b].at[ref] })
	var max time.Duration
	for k, g := range atRef {
		at := pb.clock(ref, pb.line(g, ref).At.Time.Time())
		if k == 0 || at > max {
			max = at
		}
		g.key = max
	}
	sort.SliceStable(all, func(a, b int) bool {
		x, y := all[a], all[b]
		if x.key != y.key {
			return x.key < y.key
		}
		if x.at[ref] >= 0 && y.at[ref] >= 0 {
			return x.at[ref] < y.at[ref]
		}
		return false
	})
	return all
}

func (pb *pathBuilder) line(g *pathLine, i int) analyze.Line { return pb.st.At[i].Lines[g.at[i]] }

// align matches point i's lines of one direction (idx, their indexes)
// with the lines of the points before it, in order: a line matches when
// its key is the same and it was seen within lineSlack; a line missing on
// either side is skipped when the next match is within lineLookahead.
func (pb *pathBuilder) align(groups []*pathLine, i int, idx []int, fromClient bool) []*pathLine {
	n := len(pb.d.Path.Points)
	lines := pb.st.At[i].Lines
	match := func(g *pathLine, k int) bool {
		p := g.last()
		a, b := pb.line(g, p), lines[k]
		if lineKey(a.Text) != lineKey(b.Text) {
			return false
		}
		dt := a.At.Time.Add(-pb.d.Offsets[p]).Sub(b.At.Time.Add(-pb.d.Offsets[i]))
		return dt <= lineSlack && dt >= -lineSlack
	}
	fresh := func(k int) *pathLine {
		g := &pathLine{fromClient: fromClient, at: make([]int, n)}
		for j := range g.at {
			g.at[j] = -1
		}
		g.at[i] = k
		return g
	}
	var out []*pathLine
	gi, j := 0, 0
	for gi < len(groups) || j < len(idx) {
		switch {
		case gi == len(groups):
			out = append(out, fresh(idx[j]))
			j++
			continue
		case j == len(idx):
			out = append(out, groups[gi])
			gi++
			continue
		case match(groups[gi], idx[j]):
			groups[gi].at[i] = idx[j]
			out = append(out, groups[gi])
			gi, j = gi+1, j+1
			continue
		}
		skipLines, skipGroups := -1, -1
		for b := 1; b < lineLookahead && j+b < len(idx); b++ {
			if match(groups[gi], idx[j+b]) {
				skipLines = b
				break
			}
		}
		for a := 1; a < lineLookahead && gi+a < len(groups); a++ {
			if match(groups[gi+a], idx[j]) {
				skipGroups = a
				break
			}
		}
		switch {
		case skipLines > 0 && (skipGroups < 0 || skipLines <= skipGroups):
			for ; skipLines > 0; skipLines-- {
				out = append(out, fresh(idx[j]))
				j++
			}
		case skipGroups > 0:
			out = append(out, groups[gi:gi+skipGroups]...)
			gi += skipGroups
		default:
			out = append(out, groups[gi], fresh(idx[j]))
			gi, j = gi+1, j+1
		}
	}
	return out
}

// travel is the order a packet crosses the points that saw the session:
// from the clients' side for forward, else from the servers'.
func (pb *pathBuilder) travel(forward bool) []int {
	order := slices.Clone(pb.seen)
	if !forward {
		slices.Reverse(order)
	}
	return order
}

// beyond is the column after point i's towards the end column to.
func (pb *pathBuilder) beyond(i, to int) int {
	if to > pb.col[i] {
		return pb.col[i] + 1
	}
	return pb.col[i] - 1
}

// lineRows adds the rows of the kept control lines, a note for each run of
// lines left out, and what became of each line along the path.
func (pb *pathBuilder) lineRows(lines []*pathLine, negs []*analyze.PathNegotiation) {
	l := pb.l
	drawn := map[*analyze.PathNegotiation]bool{}
	for _, pn := range negs {
		drawn[pn] = true
	}
	// Each line's negotiation, from any point's dialogue.
	negOf := make([]*analyze.Negotiation, len(lines))
	for k, g := range lines {
		if n := pb.dl[g.src].negLine[g.at[g.src]]; n != nil {
			negOf[k] = n
			continue
		}
		for _, i := range pb.seen {
			if g.at[i] >= 0 {
				if n := pb.dl[i].negLine[g.at[i]]; n != nil {
					negOf[k] = n
					break
				}
			}
		}
	}
	type fate struct {
		died      bool
		stop      int // the last point that saw it
		next      int // the next point, which never saw it
		notSeenAt []int
	}
	fates := make([]fate, len(lines))
	for k, g := range lines {
		travel := pb.travel(g.fromClient)
		t := pb.line(g, g.src).At.Time.Add(-pb.d.Offsets[g.src])
		lastSeen := -1
		for p, i := range travel {
			if g.at[i] >= 0 {
				lastSeen = p
			}
		}
		f := fate{stop: -1, next: -1}
		for p := 0; p < lastSeen; p++ {
			if i := travel[p]; g.at[i] < 0 && pb.capturing(i, t.Time()) {
				f.notSeenAt = append(f.notSeenAt, i)
			}
		}
		if lastSeen+1 < len(travel) && pb.capturing(travel[lastSeen+1], t.Time()) {
			f.died, f.stop, f.next = true, travel[lastSeen], travel[lastSeen+1]
		}
		fates[k] = f
	}

	// Which lines to draw.
	var keep []bool
	if len(lines) > MaxLines || len(negs) < len(pb.st.Negotiations) {
		anchor := make([]bool, len(lines))
		for k := 0; k < 2*ContextLines+1 && k < len(anchor); k++ {
			anchor[k] = true
		}
		anchor[len(anchor)-1] = true
		byFrame := map[string][]int{}
		for k, g := range lines {
			for _, i := range pb.seen {
				if g.at[i] >= 0 {
					key := pb.d.Path.Points[i].Point + "\x00" + fmt.Sprint(pb.line(g, i).At.Frame)
					byFrame[key] = append(byFrame[key], k)
				}
			}
			if fates[k].died || negOf[k] != nil && drawn[pb.pnOf[negOf[k]]] {
				anchor[k] = true
			}
		}
		markFrame := func(point string, ref analyze.Ref) {
			if ref.Valid() {
				for _, k := range byFrame[point+"\x00"+fmt.Sprint(ref.Frame)] {
					anchor[k] = true
				}
			}
		}
		markTime := func(at time.Duration) {
			k := sort.Search(len(lines), func(k int) bool { return lines[k].key > at }) - 1
			if k >= 0 {
				anchor[k] = true
			}
		}
		for _, pn := range negs {
			for i, n := range pn.At {
				if n == nil || pb.st.At[i] == nil {
					continue
				}
				for _, t := range transfersOf(pb.st.At[i], n) {
					markFrame(pb.res(i).Point, t.CommandAt)
					markFrame(pb.res(i).Point, t.Prelim.At)
					markFrame(pb.res(i).Point, t.Final.At)
				}
				if n.Data != nil {
					markTime(pb.clock(i, dataTime(n.Data)))
				}
			}
		}
		for _, f := range pb.st.Findings {
			for _, e := range f.Evidence {
				p := e.Point
				if p == "" {
					p = f.Point
				}
				markFrame(p, e.At)
			}
		}
		keep = aroundAnchors(anchor)
	}

	left, runStart := 0, -1
	flush := func(end int) {
		if runStart < 0 {
			return
		}
		n := end - runStart
		a, b := lines[runStart], lines[end-1]
		first := pb.line(a, a.src)
		row := withEvidence(Row{Kind: RowNote, At: pb.clock(a.src, first.At.Time.Time()), From: pb.client, To: pb.client, Stop: -1,
			Label: fmt.Sprintf("⋮ %d control lines left out (%s–%s)", n, FrameLabel(pb.name(a.src), first.At.Frame), FrameLabel(pb.name(b.src), pb.line(b, b.src).At.Frame))},
			pb.res(a.src), first.At)
		pb.add(a.key, row)
		left += n
		runStart = -1
	}
	for k, g := range lines {
		if keep != nil && !keep[k] {
			if runStart < 0 {
				runStart = k
			}
			continue
		}
		flush(k)
		ln := pb.line(g, g.src)
		row := Row{Kind: RowReply, At: pb.clock(g.src, ln.At.Time.Time()), From: pb.server, To: pb.client, Stop: -1, Label: term.Clean(ln.Text)}
		if g.fromClient {
			row.Kind, row.From, row.To = RowCommand, pb.client, pb.server
		} else {
			row.Severity = replySeverity(ln.Text)
		}
		if n := negOf[k]; n != nil {
			row.Kind = RowNegotiation
			if src := pb.dl[g.src].negLine[g.at[g.src]]; src != nil {
				row.Label = negLabel(ln.Text, src)
				if src.ParseError != "" {
					row.Severity = "error"
				}
			}
			if pn := pb.pnOf[n]; pn != nil {
				if _, ok := pb.negKey[pn]; !ok {
					pb.negKey[pn] = g.key
				}
			}
		}
		var detail []string
		if f := fates[k]; len(f.notSeenAt) > 0 {
			detail = append(detail, "not seen at "+pb.names(f.notSeenAt))
		}
		if f := fates[k]; f.died {
			row.Stop, row.StopBeyond = pb.col[f.stop], true
			detail = append(detail, fmt.Sprintf("lost between %s and %s: never seen at %s", pb.name(f.stop), pb.name(f.next), pb.name(f.next)))
			if row.Severity == "" {
				row.Severity = "error"
			}
		}
		row.Detail = strings.Join(detail, "; ")
		for _, i := range pb.seen {
			if g.at[i] >= 0 {
				row.Seen = append(row.Seen, FrameLabel(pb.name(i), pb.line(g, i).At.Frame))
			}
		}
		pb.add(g.key, withEvidence(row, pb.res(g.src), ln.At))
	}
	flush(len(lines))
	dropped := 0
	for _, i := range pb.seen {
		dropped = max(dropped, pb.st.At[i].DroppedLines)
	}
	if left > 0 || dropped > 0 {
		l.Notes = append(l.Notes, fmt.Sprintf("%d of %d control lines are left out to keep the ladder short (those around negotiations, data connections, lost lines and findings are drawn).",
			left+dropped, len(lines)+dropped))
	}
}

// transfersOf are the transfers of session s that used negotiation n.
func transfersOf(s *analyze.Session, n *analyze.Negotiation) []*analyze.Transfer {
	var out []*analyze.Transfer
	for _, t := range s.Transfers {
		if t.Negotiation == n {
			out = append(out, t)
		}
	}
	return out
}

// chooseNegotiations returns the story's negotiations to draw: all of them
// up to MaxNegotiations, else the failed ones and those a finding explains
// first, then the others, in time order.
func (pb *pathBuilder) chooseNegotiations() []*analyze.PathNegotiation {
	all := pb.st.Negotiations
	if len(all) <= MaxNegotiations {
		return all
	}
	explained := map[*analyze.PathNegotiation]bool{}
	for _, f := range pb.st.Findings {
		for _, t := range f.Transfers {
			if pn := pb.pnOf[t.Negotiation]; pn != nil {
				explained[pn] = true
			}
		}
	}
	pick := map[*analyze.PathNegotiation]bool{}
	for pass := 0; pass < 2 && len(pick) < MaxNegotiations; pass++ {
		for _, pn := range all {
			if len(pick) == MaxNegotiations {
				break
			}
			accepted := false
			for _, n := range pn.At {
				accepted = accepted || n != nil && n.Accepted()
			}
			if pass == 1 || explained[pn] || !accepted || pn.Data.State != analyze.Established {
				pick[pn] = true
			}
		}
	}
	var out []*analyze.PathNegotiation
	for _, pn := range all {
		if pick[pn] {
			out = append(out, pn)
		}
	}
	return out
}

// unlined draws a negotiation whose line no point kept (past
// Limits.MaxLinesPerSession) from the negotiation itself, as the first
// point that saw it did.
func (pb *pathBuilder) unlined(pn *analyze.PathNegotiation) {
	if _, ok := pb.negKey[pn]; ok {
		return
	}
	for _, i := range pb.seen {
		n := pn.At[i]
		if n == nil || n.Inferred != "" || !n.At.Valid() {
			continue
		}
		row := Row{Kind: RowNegotiation, From: pb.client, To: pb.server, Stop: -1, Label: negLabel(negRaw(n), n), At: pb.clock(i, n.At.Time.Time())}
		if n.Mode.IsPassive() {
			row.From, row.To = pb.server, pb.client
		}
		for j, o := range pn.At {
			if o != nil && o.At.Valid() {
				row.Seen = append(row.Seen, FrameLabel(pb.name(j), o.At.Frame))
			}
		}
		pb.negKey[pn] = row.At
		pb.add(row.At, withEvidence(row, pb.res(i), n.At))
		return
	}
}

// crossingRows draw what each box did to a negotiation's line, between
// the box's two points, right after the line.
func (pb *pathBuilder) crossingRows(pn *analyze.PathNegotiation) {
	for bi, c := range pn.Crossings {
		if c == nil || !boxVerdicts[c.Verdict] {
			continue
		}
		near, far := bi, bi+1
		cn, okn := pb.col[near]
		cf, okf := pb.col[far]
		if !okn || !okf {
			continue
		}
		in, out := near, far // the side the line came from, and went to
		if pn.Mode.IsPassive() {
			in, out = far, near
		}
		row := Row{Kind: RowRewrite, From: cn, To: cf, Stop: -1, Code: string(c.Verdict), Severity: verdictSeverity(c.Verdict),
			Detail: fmt.Sprintf("between %s and %s: %s", pb.name(near), pb.name(far), term.Clean(c.Why))}
		switch {
		case c.Inside != nil && c.Outside != nil && negText(c.Inside) == negText(c.Outside):
			row.Label = negText(c.Inside) + " passed unchanged"
		case c.Inside != nil && c.Outside != nil:
			row.Label = negText(c.Inside) + " → " + negText(c.Outside)
		case c.Inside != nil:
			row.Label = negText(c.Inside) + " never seen at " + pb.name(out)
		case c.Outside != nil:
			row.Label = negText(c.Outside) + " never seen at " + pb.name(in)
		}
		row.Label = string(c.Verdict) + ": " + row.Label
		if c.SeqChecked && (c.LengthChange != 0 || !c.SeqConsistent) {
			row.Detail += fmt.Sprintf("; sequence numbers shifted by %+d for a %+d-byte change", c.SeqShift, c.LengthChange)
			if !c.SeqConsistent {
				row.Detail += ": BROKEN"
				row.Severity = "error"
			}
		}
		switch {
		case c.Inside != nil:
			row.At = pb.clock(in, c.Inside.At.Time.Time())
			row = withEvidence(row, pb.res(in), c.Inside.At)
			row.Seen = append(row.Seen, FrameLabel(pb.name(in), c.Inside.At.Frame))
		case c.Outside != nil:
			row.At = pb.clock(out, c.Outside.At.Time.Time())
			row = withEvidence(row, pb.res(out), c.Outside.At)
		}
		if c.Inside != nil && c.Outside != nil {
			row.Seen = append(row.Seen, FrameLabel(pb.name(out), c.Outside.At.Frame))
			if in > out {
				slices.Reverse(row.Seen)
			}
		}
		key, ok := pb.negKey[pn]
		if !ok {
			key = row.At
		}
		pb.add(key, row)
	}
}

// controlConn is the control connection's opening at point i, as a data
// connection is (nil when point i did not see its SYN).
func (pb *pathBuilder) controlConn(i int) (*analyze.DataConn, *analyze.Negotiation) {
	s := pb.st.At[i]
	if s == nil || s.MidStream || !s.Opening.SYN.Valid() {
		return nil, nil
	}
	return &analyze.DataConn{Src: s.Client, Dst: s.Server, Initiator: "client", Opening: s.Opening}, nil
}

// dataRows draw a negotiation's data connection along the path.
func (pb *pathBuilder) dataRows(pn *analyze.PathNegotiation) {
	conn := func(i int) (*analyze.DataConn, *analyze.Negotiation) {
		n := pn.At[i]
		if n == nil || n.Data == nil {
			return nil, n
		}
		return n.Data, n
	}
	if len(pn.Data.SeenAt) > 0 {
		pb.openingRows(pn.Data, conn, "data connection")
	} else {
		pb.unseenData(pn, conn)
	}
	// Earlier attempts, as the point nearest the initiator saw them.
	for _, i := range pb.travel(pn.Data.Forward) {
		n := pn.At[i]
		if n == nil || len(n.Others) == 0 {
			continue
		}
		for _, dc := range n.Others {
			row := pb.connRow(i, dc, n)
			row.Detail += "; an earlier attempt, as seen at " + pb.name(i)
			pb.add(row.At, row)
		}
		break
	}
}

// connRow is one point's view of a connection, with no path behind it.
func (pb *pathBuilder) connRow(i int, dc *analyze.DataConn, n *analyze.Negotiation) Row {
	from, to := pb.client, pb.server
	if dc.Initiator == "server" {
		from, to = to, from
	}
	at := pb.clock(i, dataTime(dc))
	row := withEvidence(Row{Kind: RowData, At: at, From: from, To: to, Stop: -1, Label: synLabel(dc), Detail: dataOutcome(dc, pb.frame(i))}, pb.res(i), dataRef(dc))
	if dc.State() != analyze.Established {
		row.Severity = "error"
	}
	if n != nil && n.Inferred != "" {
		row.Detail += "; negotiation not visible (" + n.Inferred + ")"
	}
	return row
}

// unseenData draws a negotiation whose data connection's SYN no point
// saw: one caught in mid-stream, or none at all.
func (pb *pathBuilder) unseenData(pn *analyze.PathNegotiation, conn func(int) (*analyze.DataConn, *analyze.Negotiation)) {
	for _, i := range pb.seen {
		if dc, n := conn(i); dc != nil {
			row := pb.connRow(i, dc, n)
			row.Detail += "; its SYN was seen at no capture point"
			pb.add(row.At, row)
			return
		}
	}
	for _, i := range pb.seen {
		n := pn.At[i]
		if n == nil || !n.Accepted() || n.Inferred != "" {
			continue
		}
		ref := n.At
		for _, t := range transfersOf(pb.st.At[i], n) {
			if t.Final.At.Valid() {
				ref = t.Final.At
			}
		}
		col := pb.client
		if !pn.Data.Forward {
			col = pb.server
		}
		at := pb.clock(i, ref.Time.Time())
		pb.add(at, withEvidence(Row{Kind: RowData, At: at, From: col, To: col, Stop: -1,
			Label: "no data connection for " + n.Command + " " + n.Address.String(), Detail: "not attempted: no SYN for it crossed any capture point",
			Severity: "warning"}, pb.res(i), ref))
		return
	}
}

// openingRows draw one connection's SYN along the path (o), each point's
// view of it from conn: one arrow from the initiator, ending in a ✕ past
// the last point that saw it when it died; and the reset or ICMP error
// that answered it, from where it died back to the initiator.
func (pb *pathBuilder) openingRows(o analyze.PathOpening, conn func(int) (*analyze.DataConn, *analyze.Negotiation), what string) {
	from, to := pb.client, pb.server
	if !o.Forward {
		from, to = to, from
	}
	// The row shows the first point's view when it saw the SYN, else the
	// view nearest it.
	src := slices.Min(o.SeenAt)
	if slices.Contains(o.SeenAt, pb.ref) {
		src = pb.ref
	}
	last := o.SeenAt[len(o.SeenAt)-1] // nearest the acceptor
	dc, n := conn(src)
	dl, _ := conn(last)
	if dc == nil || dl == nil {
		return
	}
	row := withEvidence(Row{Kind: RowData, At: pb.clock(src, dataTime(dc)), From: from, To: to, Stop: -1, Label: synLabel(dc)}, pb.res(src), dataRef(dc))
	if what == "control connection" {
		row.Label += " (control connection)"
	}
	var seen []string
	inPathOrder := slices.Sorted(slices.Values(o.SeenAt))
	for _, i := range inPathOrder {
		if c, _ := conn(i); c != nil {
			seen = append(seen, FrameLabel(pb.name(i), dataRef(c).Frame))
		}
	}
	row.Seen = seen
	// Where it went first, then what answered it, then how it looked at
	// the end.
	where := "SYN seen at " + strings.Join(seen, ", ")
	if o.Died() {
		row.Severity = "error"
		row.Stop, row.StopBeyond = pb.col[o.DiedAfter], true
		if o.DiedBefore >= 0 {
			where = fmt.Sprintf("lost between %s and %s: seen at %s, never at %s", pb.name(o.DiedAfter), pb.name(o.DiedBefore), strings.Join(seen, ", "), pb.name(o.DiedBefore))
		} else {
			where += "; " + pb.name(o.DiedAfter) + " is the last capture point on its way"
		}
	}
	detail := []string{where, dataOutcome(dl, pb.frame(last))}
	if dl.Src != dc.Src || dl.Dst != dc.Dst {
		detail = append(detail, fmt.Sprintf("at %s: %s", pb.name(last), synLabel(dl)))
	}
	if n != nil && n.Inferred != "" {
		detail = append(detail, "negotiation not visible ("+n.Inferred+")")
	}
	row.Detail = strings.Join(detail, "; ")
	pb.add(row.At, row)

	// The answer to a SYN that died: a reset or an ICMP error, from where it
	// died.
	if !o.Died() || o.State != analyze.Refused && o.State != analyze.Unreachable {
		return
	}
	da, _ := conn(o.DiedAfter)
	if da == nil {
		return
	}
	ans := Row{Kind: RowData, From: pb.col[o.DiedAfter], FromBeyond: true, To: from, Stop: -1, Severity: "error"}
	var ref analyze.Ref
	switch {
	case o.State == analyze.Refused && da.RST.Valid():
		ref = da.RST
		ans.Label = fmt.Sprintf("RST %s → %s", da.Dst, da.Src)
	case o.State == analyze.Unreachable && da.ICMP.Valid():
		ref = da.ICMP
		ans.Label = fmt.Sprintf("ICMP %s from %s", icmpText(da.ICMPFrom.Is6() && !da.ICMPFrom.Is4In6(), da.ICMPType, da.ICMPCode), da.ICMPFrom)
	default:
		return
	}
	ans.At = pb.clock(o.DiedAfter, ref.Time.Time())
	ans = withEvidence(ans, pb.res(o.DiedAfter), ref)
	var through []string
	for _, i := range slices.Sorted(slices.Values(o.AnsweredAt)) {
		if c, _ := conn(i); c != nil {
			r := c.RST
			if o.State == analyze.Unreachable {
				r = c.ICMP
			}
			if r.Valid() {
				through = append(through, FrameLabel(pb.name(i), r.Frame))
			}
		}
	}
	ans.Seen = through
	if o.DiedBefore >= 0 {
		ans.Detail = fmt.Sprintf("sent between %s and %s (the SYN never reached %s)", pb.name(o.DiedAfter), pb.name(o.DiedBefore), pb.name(o.DiedBefore))
		if o.State == analyze.Refused && da.RST.Valid() && da.RSTFromAcc {
			ans.Detail += ", in the acceptor's name"
		}
	} else {
		ans.Detail = fmt.Sprintf("came back from beyond %s, the last capture point on the way", pb.name(o.DiedAfter))
	}
	if len(through) > 0 {
		ans.Detail += "; seen at " + strings.Join(through, ", ")
	}
	pb.add(ans.At, ans)
}

// findingPlace is where a finding stands: between a box's two points (what
// the box did), where a SYN died (the finding about it), or on the column
// of the point that made it.
func (pb *pathBuilder) findingPlace(f *diagnose.Finding) (from, to int) {
	index := map[string]int{}
	for _, i := range pb.seen {
		index[pb.res(i).Point] = i
	}
	if boxCodes[f.Code] && len(f.Points) == 2 {
		a, oka := index[f.Points[0]]
		b, okb := index[f.Points[1]]
		if oka && okb && pb.col[b]-pb.col[a] == 1 {
			return pb.col[a], pb.col[b]
		}
	}
	died := func(o analyze.PathOpening) (int, int) {
		dest := pb.server
		if !o.Forward {
			dest = pb.client
		}
		return pb.col[o.DiedAfter], pb.beyond(o.DiedAfter, dest)
	}
	var dying []*analyze.PathNegotiation
	for _, t := range f.Transfers {
		if pn := pb.pnOf[t.Negotiation]; pn != nil && pn.Data.Died() && !slices.Contains(dying, pn) {
			dying = append(dying, pn)
		}
	}
	if len(f.Transfers) == 0 {
		for _, pn := range pb.st.Negotiations {
			if pn.Data.Died() {
				dying = append(dying, pn)
			}
		}
		if len(dying) > 1 {
			dying = nil
		}
	}
	switch {
	case len(dying) > 0:
		return died(dying[0].Data)
	case pb.st.Control.Died() && (f.Code == diagnose.ControlNoAnswer || f.Code == diagnose.ControlRefused || f.Code == diagnose.ControlUnreachable):
		return died(pb.st.Control)
	}
	if i, ok := index[f.Point]; ok {
		return pb.col[i], pb.col[i]
	}
	return pb.client, pb.client
}

// findingRow places a finding at its latest evidence (the session's own
// frames first).
func (pb *pathBuilder) findingRow(f *diagnose.Finding) {
	index := map[string]int{}
	for _, i := range pb.seen {
		index[pb.res(i).Point] = i
	}
	pointOf := func(e diagnose.Evidence) (int, bool) {
		p := e.Point
		if p == "" {
			p = f.Point
		}
		i, ok := index[p]
		return i, ok
	}
	e, ok := lastEvidence(f, func(e diagnose.Evidence) (time.Duration, int) {
		i, ok := pointOf(e)
		if !ok {
			return 0, -1
		}
		rank := 0
		if pb.frames[i].has(e.At) {
			rank = 2
		}
		return pb.clock(i, e.At.Time.Time()), rank
	})
	i, known := pointOf(e)
	if !ok || !known {
		return
	}
	from, to := pb.findingPlace(f)
	at := pb.clock(i, e.At.Time.Time())
	row := withEvidence(Row{Kind: RowFinding, At: at, From: from, To: to, Stop: -1,
		Label: string(f.Code) + ": " + term.Clean(f.Summary), Detail: "fix: " + term.Clean(f.Advice),
		Severity: f.Severity.String(), Code: string(f.Code)}, pb.res(i), e.At)
	// Never before the line of a negotiation it is about (another point's
	// clock may put its evidence a little earlier).
	key := at
	for _, pn := range pb.st.Negotiations {
		k, ok := pb.negKey[pn]
		if ok && k > key && pb.about(f, pn) {
			key = k
		}
	}
	pb.add(key, row)
}

// about says whether finding f is about negotiation pn: it explains one of
// its transfers, or cites its line at some point.
func (pb *pathBuilder) about(f *diagnose.Finding, pn *analyze.PathNegotiation) bool {
	for _, t := range f.Transfers {
		if pb.pnOf[t.Negotiation] == pn {
			return true
		}
	}
	for _, e := range f.Evidence {
		p := e.Point
		if p == "" {
			p = f.Point
		}
		for i, n := range pn.At {
			if n != nil && pb.res(i).Point == p && (e.At.Frame == n.At.Frame || e.At.Frame == n.CommandAt.Frame) && e.At.Valid() {
				return true
			}
		}
	}
	return false
}

// holes counts holes in words: "1 hole is", "2 holes are".
func holes(n int) string {
	if n == 1 {
		return "1 hole is"
	}
	return fmt.Sprintf("%d holes are", n)
}
