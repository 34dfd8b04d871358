package ladder

import (
	"fmt"
	"net/netip"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/ftpsniff/ftpsniff/analyze"
	"github.com/ftpsniff/ftpsniff/diagnose"
	"github.com/ftpsniff/ftpsniff/report/term"
)

// Bounds on a ladder's rows. A session can hold thousands of control lines
// (analyze keeps up to Limits.MaxLinesPerSession): a ladder draws them all
// up to MaxLines; past it, only the lines around the negotiations, data
// connections and findings it draws, and at most MaxNegotiations
// negotiations (failed ones and those a finding explains first). Notes say
// how many were left out.
const (
	MaxLines        = 80 // dialogue lines drawn in full
	ContextLines    = 2  // lines kept either side of a kept event when the dialogue is cut
	MaxNegotiations = 30 // negotiations (and their data connections) drawn per session
)

// rowOrder orders rows that happen at the same moment: the dialogue line
// first, then what it caused.
var rowOrder = map[RowKind]int{
	RowCommand: 0, RowReply: 0, RowNegotiation: 0,
	RowRewrite: 1, RowData: 2, RowNote: 3, RowFinding: 4,
}

// builder collects rows with a sort key: rows are ordered by time,
// except that dialogue lines keep their order (their sort time is the
// running maximum of the line times), and rows at the same time by kind.
type builder struct {
	l      *Ladder
	rows   []keyedRow
	mid    int // the middle column, -1 without one
	client int
	server int
	// facts are the diagnosis's facts about the session drawn (nil for a
	// path ladder): who answered each data connection.
	facts *diagnose.SessionFacts
}

type keyedRow struct {
	key time.Duration
	seq int
	Row
}

func (b *builder) add(key time.Duration, r Row) {
	b.rows = append(b.rows, keyedRow{key: key, seq: len(b.rows), Row: r})
}

func (b *builder) finish() *Ladder {
	sort.SliceStable(b.rows, func(i, j int) bool {
		x, y := b.rows[i], b.rows[j]
		if x.key != y.key {
			return x.key < y.key
		}
		if rowOrder[x.Kind] != rowOrder[y.Kind] {
			return rowOrder[x.Kind] < rowOrder[y.Kind]
		}
		return x.seq < y.seq
	})
	for _, r := range b.rows {
		b.l.Rows = append(b.l.Rows, r.Row)
	}
	return b.l
}

// evidenceOf returns a row's evidence fields for ref seen at point r.
func evidenceOf(r *analyze.Result, ref analyze.Ref) (point, file string, frame uint64) {
	if r == nil {
		return "", "", ref.Frame
	}
	return r.Point, fileOf(r, ref), ref.Frame
}

// fileOf is the capture file ref was read from, or "".
func fileOf(r *analyze.Result, ref analyze.Ref) string {
	if !ref.Valid() || ref.Input < 0 || ref.Input >= len(r.Inputs) {
		return ""
	}
	return r.Inputs[ref.Input]
}

func withEvidence(row Row, r *analyze.Result, ref analyze.Ref) Row {
	row.Point, row.File, row.Frame = evidenceOf(r, ref)
	return row
}

// sideText says where a capture point sits, in words.
func sideText(side analyze.Side) string {
	switch side {
	case analyze.SideClient:
		return "on the client's side of every router"
	case analyze.SideServer:
		return "on the server's side of every router"
	case analyze.SideSameLAN:
		return "on the LAN both hosts share"
	case analyze.SideBetween:
		return "between routers on both sides (a transit link, or outside a NAT)"
	}
	return "at an unknown place on the path"
}

// secs formats a duration as the ladder's times are: "+1.016s".
func secs(d time.Duration) string {
	sign := "+"
	if d < 0 {
		sign, d = "-", -d
	}
	return fmt.Sprintf("%s%d.%03ds", sign, d/time.Second, (d%time.Second)/time.Millisecond)
}

// humanDuration formats a positive duration for people: "0.8 ms", "1.20 s".
func humanDuration(d time.Duration) string {
	if d < time.Second {
		return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond))
	}
	return fmt.Sprintf("%.2f s", d.Seconds())
}

// groupDigits writes n with thousands separators: 204,800.
func groupDigits(n uint64) string {
	s := strconv.FormatUint(n, 10)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// icmpText names an ICMP unreachable code.
func icmpText(v6 bool, typ, code uint8) string {
	if v6 {
		if typ == 1 {
			switch code {
			case 0:
				return "no route to destination"
			case 1:
				return "communication administratively prohibited"
			case 3:
				return "address unreachable"
			case 4:
				return "port unreachable"
			}
		}
		return fmt.Sprintf("ICMPv6 type %d code %d", typ, code)
	}
	if typ == 3 {
		switch code {
		case 0:
			return "network unreachable"
		case 1:
			return "host unreachable"
		case 2:
			return "protocol unreachable"
		case 3:
			return "port unreachable"
		case 9, 10, 13:
			return "administratively prohibited"
		}
	}
	return fmt.Sprintf("ICMP type %d code %d", typ, code)
}

// diedOnPath reports whether a data connection's SYN died on the path, before
// the acceptor, as the diagnosis reads it (facts may be nil: no session
// facts, read from the connection alone).
func diedOnPath(facts *diagnose.SessionFacts, d *analyze.DataConn) bool {
	if facts != nil {
		return facts.AnswerFor(d, d.Initiator).DiedOnPath()
	}
	switch d.State() {
	case analyze.NoAnswer:
		return true
	case analyze.Refused:
		return !d.RSTFromAcc
	case analyze.Unreachable:
		return d.ICMPFrom != d.Dst.Addr()
	}
	return false
}

// frameWords names a frame of a one-point ladder: "frame 15".
func frameWords(ref analyze.Ref) string { return fmt.Sprintf("frame %d", ref.Frame) }

// dataOutcome is a data connection's outcome in words (the Detail of its
// row); frame names the frames it cites.
func dataOutcome(d *analyze.DataConn, frame func(analyze.Ref) string) string {
	var s string
	switch d.State() {
	case analyze.Established:
		end := d.Last.Time
		begin := d.SYN.Time
		if !d.SYN.Valid() {
			begin = d.First.Time
		}
		s = fmt.Sprintf("established, %s B in %s", groupDigits(d.Bytes()), humanDuration(end.Sub(begin)))
		if d.MidStream {
			s = fmt.Sprintf("established before the capture began, %s B seen", groupDigits(d.Bytes()))
		}
		if d.RST.Valid() {
			s += fmt.Sprintf(", then reset (%s)", frame(d.RST))
		}
	case analyze.Refused:
		if d.RSTFromAcc {
			s = fmt.Sprintf("refused: reset by %s, the acceptor's address (%s)", d.Dst.Addr(), frame(d.RST))
		} else {
			s = fmt.Sprintf("reset, but not by the acceptor: the RST came from the initiator's side (%s)", frame(d.RST))
		}
	case analyze.Unreachable:
		from := "from " + d.ICMPFrom.String()
		if d.ICMPFrom == d.Dst.Addr() {
			from += ", the acceptor itself"
		}
		s = fmt.Sprintf("unreachable: %s %s (%s)", icmpText(d.ICMPFrom.Is6() && !d.ICMPFrom.Is4In6(), d.ICMPType, d.ICMPCode), from, frame(d.ICMP))
	default:
		s = "no answer"
		if len(d.SYNRetries) > 0 {
			var at []string
			for _, r := range d.SYNRetries {
				at = append(at, secs(r))
			}
			s += ": SYN resent at " + strings.Join(at, ", ") + " after the first, never answered"
		} else {
			s += ": SYN never answered"
		}
	}
	switch d.MatchedBy {
	case "control-address":
		s += "; to the server's control address, not the advertised one"
	case "tls-host-pair":
		s += "; tied to the session by its hosts (encrypted control channel)"
	case "port-20":
		s += "; from the server's port 20 (its negotiation was not captured)"
	}
	return s
}

func synLabel(d *analyze.DataConn) string {
	return fmt.Sprintf("SYN %s → %s", d.Src, d.Dst)
}

func dataTime(d *analyze.DataConn) time.Time {
	if d.SYN.Valid() {
		return d.SYN.Time.Time()
	}
	return d.First.Time.Time()
}

func dataRef(d *analyze.DataConn) analyze.Ref {
	if d.SYN.Valid() {
		return d.SYN
	}
	return d.First
}

// sessionFindings returns r's findings about s.
func sessionFindings(r *diagnose.Point, s *analyze.Session) []*diagnose.Finding {
	var out []*diagnose.Finding
	if r == nil {
		return nil
	}
	for _, f := range r.Findings {
		if f.Session == s {
			out = append(out, f)
		}
	}
	return out
}

// lastEvidence returns the latest of a finding's evidence, ranked by
// at: where the cause is established (a finding about a dropped SYN stands
// after its retransmissions, one about a refused PORT after the refusal).
// Evidence of a better rank wins whatever its time: at ranks the evidence
// of the session's own frames, and of the ladder's own capture point, first
// (a finding can cite other sessions; another point's times are only
// corrected by an estimated clock offset).
func lastEvidence(f *diagnose.Finding, at func(diagnose.Evidence) (time.Duration, int)) (diagnose.Evidence, bool) {
	var best diagnose.Evidence
	var bestAt time.Duration
	bestRank, ok := 0, false
	for _, e := range f.Evidence {
		if !e.At.Valid() {
			continue
		}
		t, rank := at(e)
		if !ok || rank > bestRank || rank == bestRank && t > bestAt {
			best, bestAt, bestRank, ok = e, t, rank, true
		}
	}
	return best, ok
}

// frameSet are the frames of one session: evidence a finding cites from
// it, rather than from another session the same finding covers.
type frameSet map[[2]uint64]bool

func (f frameSet) add(refs ...analyze.Ref) {
	for _, r := range refs {
		if r.Valid() {
			f[[2]uint64{uint64(r.Input), r.Frame}] = true
		}
	}
}

func (f frameSet) has(r analyze.Ref) bool { return f[[2]uint64{uint64(r.Input), r.Frame}] }

func sessionFrames(s *analyze.Session) frameSet {
	f := frameSet{}
	f.add(s.First, s.TLSAt, s.PasswordAt, s.FirstErrorAt, s.Greeting.At)
	for _, l := range s.Lines {
		f.add(l.At)
	}
	for _, n := range s.Negotiations {
		f.add(n.CommandAt, n.Reply.At, n.At, n.SplitAt)
		for _, d := range append([]*analyze.DataConn{n.Data}, n.Others...) {
			if d != nil {
				f.add(d.SYN, d.SYNACK, d.RST, d.ICMP, d.FIN, d.First, d.Last)
			}
		}
	}
	for _, t := range s.Transfers {
		f.add(t.CommandAt, t.Prelim.At, t.Final.At)
	}
	return f
}

// findingColumn is the column where a finding happened.
func (b *builder) findingColumn(f *diagnose.Finding) int {
	var d *analyze.DataConn
	if len(f.Transfers) > 0 {
		d = f.Transfers[0].Data()
	}
	mid := func(otherwise int) int {
		if b.mid >= 0 {
			return b.mid
		}
		return otherwise
	}
	initiator := func() int {
		if d != nil && d.Initiator == "server" {
			return b.server
		}
		if len(f.Transfers) > 0 && f.Transfers[0].Negotiation != nil && !f.Transfers[0].Negotiation.Mode.IsPassive() {
			return b.server
		}
		return b.client
	}
	acceptor := func() int {
		if initiator() == b.server {
			return b.client
		}
		return b.server
	}
	switch f.Code {
	case "active-nat-no-alg", "tls-blind-alg", "alg-rewrite", "alg-rewrite-wrong", "alg-missed-split", "alg-seq-broken":
		return mid(b.client)
	case "passive-private-address":
		return mid(b.server)
	case "data-no-answer", "data-unreachable":
		if d != nil && !diedOnPath(b.facts, d) {
			return acceptor()
		}
		return mid(acceptor())
	case "data-refused":
		if d != nil && d.RSTFromAcc {
			return acceptor()
		}
		return mid(acceptor())
	case "data-not-attempted", "data-not-seen":
		return initiator()
	case "cleartext-credentials", "capture-gap":
		return b.client
	}
	return b.server
}

// addFinding places a finding at its latest evidence; res says at which
// point the evidence was seen, its time on the ladder, and its rank (see
// lastEvidence).
func (b *builder) addFinding(f *diagnose.Finding, res func(diagnose.Evidence) (*analyze.Result, time.Duration, int)) {
	e, ok := lastEvidence(f, func(e diagnose.Evidence) (time.Duration, int) {
		_, at, rank := res(e)
		return at, rank
	})
	if !ok {
		return
	}
	r, at, _ := res(e)
	col := b.findingColumn(f)
	row := withEvidence(Row{Kind: RowFinding, At: at, From: col, To: col, Stop: -1,
		Label: string(f.Code) + ": " + term.Clean(f.Summary), Detail: "fix: " + term.Clean(f.Advice),
		Severity: f.Severity.String(), Code: string(f.Code)}, r, e.At)
	b.add(at, row)
}

// dialogue is a session's control lines with the rows they make.
type dialogue struct {
	s     *analyze.Session
	r     *analyze.Result
	start time.Time
	// negLine maps a line index to the negotiation it carries.
	negLine map[int]*analyze.Negotiation
	byFrame map[uint64][]int
	keys    []time.Duration // sort key of each line: running maximum of times
}

func newDialogue(r *analyze.Result, s *analyze.Session, start time.Time) *dialogue {
	d := &dialogue{s: s, r: r, start: start, negLine: map[int]*analyze.Negotiation{}, byFrame: map[uint64][]int{}}
	var max time.Duration
	for i, l := range s.Lines {
		d.byFrame[l.At.Frame] = append(d.byFrame[l.At.Frame], i)
		at := l.At.Time.Sub(analyze.StampOf(start))
		if i == 0 || at > max {
			max = at
		}
		d.keys = append(d.keys, max)
	}
	used := map[int]bool{}
	for _, n := range s.Negotiations {
		if n.Inferred != "" {
			continue
		}
		if i := d.lineOf(n, used); i >= 0 {
			used[i] = true
			d.negLine[i] = n
		}
	}
	return d
}

// lineOf finds the line carrying a negotiation's address: the command for
// PORT/EPRT/LPRT, the reply for PASV/EPSV/LPSV; by TCP sequence number,
// else by frame and text.
func (d *dialogue) lineOf(n *analyze.Negotiation, used map[int]bool) int {
	active := !n.Mode.IsPassive()
	match := func(l analyze.Line) bool {
		if l.FromClient != active {
			return false
		}
		if active {
			verb, _, _ := strings.Cut(l.Text, " ")
			return strings.EqualFold(verb, n.Command)
		}
		return n.Reply.Code != 0 && strings.HasPrefix(l.Text, strconv.Itoa(n.Reply.Code))
	}
	seq := n.CommandSeq
	if !active {
		seq = n.ReplySeq
	}
	for i, l := range d.s.Lines {
		if !used[i] && l.Seq == seq && match(l) {
			return i
		}
	}
	for _, f := range []uint64{n.At.Frame, n.CommandAt.Frame, n.SplitAt.Frame} {
		for _, i := range d.byFrame[f] {
			if f != 0 && !used[i] && match(d.s.Lines[i]) {
				return i
			}
		}
	}
	return -1
}

// lineNear returns the last line at or before t (or -1).
func (d *dialogue) lineNear(t time.Time) int {
	at := t.Sub(d.start)
	i := sort.Search(len(d.keys), func(i int) bool { return d.keys[i] > at })
	return i - 1
}

// negLabel is the text of a negotiation's row: its line and the
// address it advertises.
func negLabel(text string, n *analyze.Negotiation) string {
	switch {
	case n.ParseError != "":
		return term.Clean(text) + " → unparsable: " + term.Clean(n.ParseError)
	case n.Address.IsValid():
		return term.Clean(text) + " → " + n.Address.String()
	}
	return term.Clean(text)
}

// replySeverity colours failed replies: 4xx as warnings, 5xx as errors.
func replySeverity(text string) string {
	if len(text) >= 3 && text[1] >= '0' && text[1] <= '9' && text[2] >= '0' && text[2] <= '9' {
		switch text[0] {
		case '4':
			return "warning"
		case '5':
			return "error"
		}
	}
	return ""
}

// lineRows adds the rows of the kept dialogue lines, and a note for each
// run of lines left out. It returns how many lines were left out.
func (b *builder) lineRows(d *dialogue, keep []bool) int {
	left := 0
	runStart := -1
	flush := func(end int) {
		if runStart < 0 {
			return
		}
		n := end - runStart
		first := d.s.Lines[runStart]
		row := withEvidence(Row{Kind: RowNote, At: first.At.Time.Sub(analyze.StampOf(d.start)), From: b.client, To: b.client, Stop: -1,
			Label: fmt.Sprintf("⋮ %d control lines left out (frames %d–%d)", n, first.At.Frame, d.s.Lines[end-1].At.Frame)}, d.r, first.At)
		b.add(d.keys[runStart], row)
		left += n
		runStart = -1
	}
	for i, l := range d.s.Lines {
		if keep != nil && !keep[i] {
			if runStart < 0 {
				runStart = i
			}
			continue
		}
		flush(i)
		at := l.At.Time.Sub(analyze.StampOf(d.start))
		row := Row{Kind: RowReply, At: at, From: b.server, To: b.client, Stop: -1, Label: term.Clean(l.Text)}
		if l.FromClient {
			row.Kind, row.From, row.To = RowCommand, b.client, b.server
		} else {
			row.Severity = replySeverity(l.Text)
		}
		if n := d.negLine[i]; n != nil {
			row.Kind, row.Label = RowNegotiation, negLabel(l.Text, n)
			if n.ParseError != "" {
				row.Severity = "error"
			}
		}
		b.add(d.keys[i], withEvidence(row, d.r, l.At))
	}
	flush(len(d.s.Lines))
	return left
}

// unlinedNegotiations adds a row for each drawn negotiation whose line the
// session did not keep (past Limits.MaxLinesPerSession): built from the
// negotiation itself.
func (b *builder) unlinedNegotiations(d *dialogue, negs []*analyze.Negotiation) {
	lined := map[*analyze.Negotiation]bool{}
	for _, n := range d.negLine {
		lined[n] = true
	}
	for _, n := range negs {
		if lined[n] || n.Inferred != "" || !n.At.Valid() {
			continue
		}
		row := Row{Kind: RowNegotiation, From: b.client, To: b.server, Stop: -1, Label: negLabel(negRaw(n), n)}
		if n.Mode.IsPassive() {
			row.From, row.To = b.server, b.client
		}
		row.At = n.At.Time.Sub(analyze.StampOf(d.start))
		b.add(row.At, withEvidence(row, d.r, n.At))
	}
}

// chooseNegotiations returns the negotiations to draw: all of them up to
// MaxNegotiations, else the failed ones and those a finding explains
// first, then the others, in session order.
func chooseNegotiations(s *analyze.Session, findings []*diagnose.Finding) []*analyze.Negotiation {
	if len(s.Negotiations) <= MaxNegotiations {
		return s.Negotiations
	}
	explained := map[*analyze.Negotiation]bool{}
	for _, f := range findings {
		for _, t := range f.Transfers {
			if t.Negotiation != nil {
				explained[t.Negotiation] = true
			}
		}
	}
	pick := map[*analyze.Negotiation]bool{}
	for pass := 0; pass < 2 && len(pick) < MaxNegotiations; pass++ {
		for _, n := range s.Negotiations {
			if len(pick) == MaxNegotiations {
				break
			}
			important := explained[n] || !n.Accepted() || n.Data == nil || n.Data.State() != analyze.Established
			if pass == 1 || important {
				pick[n] = true
			}
		}
	}
	var out []*analyze.Negotiation
	for _, n := range s.Negotiations {
		if pick[n] {
			out = append(out, n)
		}
	}
	return out
}

// keepLines decides which dialogue lines to draw: all when there are few,
// else the first lines (greeting and login), the last ones, and those
// around each drawn negotiation, transfer, data connection and finding.
// nil means all.
func keepLines(d *dialogue, negs []*analyze.Negotiation, findings []*diagnose.Finding, extra []time.Time) []bool {
	s := d.s
	if len(s.Lines) <= MaxLines && len(negs) == len(s.Negotiations) {
		return nil
	}
	anchor := make([]bool, len(s.Lines))
	mark := func(i int) {
		if i >= 0 && i < len(anchor) {
			anchor[i] = true
		}
	}
	markFrame := func(ref analyze.Ref) {
		if ref.Valid() {
			for _, i := range d.byFrame[ref.Frame] {
				mark(i)
			}
		}
	}
	for i := 0; i < 2*ContextLines+1; i++ {
		mark(i)
	}
	mark(len(s.Lines) - 1)
	drawn := map[*analyze.Negotiation]bool{}
	for _, n := range negs {
		drawn[n] = true
	}
	for i, n := range d.negLine {
		if drawn[n] {
			mark(i)
		}
	}
	for _, t := range s.Transfers {
		if n := t.Negotiation; n != nil {
			if !drawn[n] {
				continue
			}
			markFrame(n.CommandAt)
			markFrame(n.Reply.At)
		}
		markFrame(t.CommandAt)
		markFrame(t.Prelim.At)
		markFrame(t.Final.At)
	}
	for _, f := range findings {
		for _, e := range f.Evidence {
			if e.Point == "" || e.Point == d.r.Point {
				markFrame(e.At)
			}
		}
	}
	for _, t := range extra {
		mark(d.lineNear(t))
	}
	return aroundAnchors(anchor)
}

// aroundAnchors keeps the lines within ContextLines of an anchor.
func aroundAnchors(anchor []bool) []bool {
	keep := make([]bool, len(anchor))
	for i, a := range anchor {
		if a {
			for j := max(0, i-ContextLines); j <= min(len(keep)-1, i+ContextLines); j++ {
				keep[j] = true
			}
		}
	}
	return keep
}

// middle decides the middle column of a one-point ladder from what the
// capture shows: a NAT when an advertised address is a private one other
// than the host's address as seen here (or a finding says so), a firewall
// when a data SYN died on the path.
type middle struct {
	natClient, natServer bool
	clientInner          netip.Addr // the client's own address, advertised in PORT/EPRT
	serverInner          netip.Addr // the server's own address, advertised in 227
	firewall             bool
	fwAddrs              []string // third parties that answered with ICMP
}

func findMiddle(s *analyze.Session, facts *diagnose.SessionFacts, findings []*diagnose.Finding) middle {
	m := middle{clientInner: facts.ClientInner, serverInner: facts.ServerInner}
	m.natClient, m.natServer = facts.ClientInner.IsValid(), facts.ServerInner.IsValid()
	for _, f := range findings {
		switch f.Code {
		case diagnose.ActiveNATNoALG:
			m.natClient = true
		case diagnose.PassivePrivateAddress:
			m.natServer = true
		}
	}
	seen := map[string]bool{}
	for _, n := range s.Negotiations {
		for _, d := range append([]*analyze.DataConn{n.Data}, n.Others...) {
			if d == nil || !diedOnPath(facts, d) {
				continue
			}
			m.firewall = true
			if d.State() == analyze.Unreachable && d.ICMPFrom.IsValid() && !seen[d.ICMPFrom.String()] {
				seen[d.ICMPFrom.String()] = true
				m.fwAddrs = append(m.fwAddrs, d.ICMPFrom.String())
			}
		}
	}
	return m
}

// Build draws session s of capture point r as a ladder: its control
// dialogue, negotiations, data connections and findings.
func Build(r *diagnose.Point, s *analyze.Session) *Ladder {
	findings := sessionFindings(r, s)
	point := ""
	if r != nil {
		point = r.Point
	}
	facts := diagnose.Facts(point, s) // the diagnosis's own reading of the session
	m := findMiddle(s, facts, findings)
	l := &Ladder{Session: s.ID, Start: s.Start}
	l.Title = fmt.Sprintf("%s: %s → %s, captured at %q", s.ID, s.Client, s.Server, term.Clean(point))
	side := s.Side
	if side == "" {
		side = analyze.SideUnknown
	}
	note := "The capture point sits " + sideText(side)
	if s.SideWhy != "" {
		note += ": " + term.Clean(s.SideWhy)
	}
	l.Notes = append(l.Notes, note+".")

	b := &builder{l: l, mid: -1, facts: facts}
	client := Column{Role: RoleClient, Name: "client", Addr: []string{s.Client.Addr().String()}}
	server := Column{Role: RoleServer, Name: "server", Addr: []string{s.Server.Addr().String()}}
	l.Columns = append(l.Columns, client)
	switch {
	case m.natClient || m.natServer:
		c := Column{Role: RoleNAT, Name: "NAT"}
		if m.firewall {
			c.Name = "NAT / firewall"
		}
		if m.natClient {
			c.Addr = append(c.Addr, s.Client.Addr().String())
			l.Columns[0].Addr = nil
			if m.clientInner.IsValid() {
				l.Columns[0].Addr = []string{m.clientInner.String()}
			}
			l.Notes = append(l.Notes, fmt.Sprintf("The client advertises %s but is seen here as %s: a NAT stands between them.", orUnknown(m.clientInner), s.Client.Addr()))
		}
		if m.natServer {
			c.Addr = append(c.Addr, s.Server.Addr().String())
			server.Addr = nil
			if m.serverInner.IsValid() {
				server.Addr = []string{m.serverInner.String()}
			}
			l.Notes = append(l.Notes, fmt.Sprintf("The server advertises %s but is reached here as %s: a NAT stands between them.", orUnknown(m.serverInner), s.Server.Addr()))
		}
		c.Addr = append(c.Addr, m.fwAddrs...)
		b.mid = len(l.Columns)
		l.Columns = append(l.Columns, c)
	case m.firewall:
		b.mid = len(l.Columns)
		l.Columns = append(l.Columns, Column{Role: RoleFirewall, Name: "firewall", Addr: m.fwAddrs})
		l.Notes = append(l.Notes, "A data connection died on the path, before the host it was for.")
	}
	b.server = len(l.Columns)
	l.Columns = append(l.Columns, server)

	if s.MidStream {
		l.Notes = append(l.Notes, "The capture begins after the control connection was set up: its start is missing.")
	}
	if s.Gaps > 0 {
		l.Notes = append(l.Notes, fmt.Sprintf("%d holes (%s bytes) are missing from the control stream: lines there may be lost.", s.Gaps, groupDigits(s.MissingBytes)))
	}

	d := newDialogue(r.Result, s, s.Start)
	negs := chooseNegotiations(s, findings)
	var times []time.Time
	for _, n := range negs {
		for _, dc := range append([]*analyze.DataConn{n.Data}, n.Others...) {
			if dc != nil {
				times = append(times, dataTime(dc))
			}
		}
	}
	keep := keepLines(d, negs, findings, times)
	left := b.lineRows(d, keep)
	b.unlinedNegotiations(d, negs)
	if left > 0 || s.DroppedLines > 0 {
		l.Notes = append(l.Notes, fmt.Sprintf("%d of %d control lines are left out to keep the ladder short (those around negotiations, data connections and findings are drawn).",
			left+s.DroppedLines, len(s.Lines)+s.DroppedLines))
	}
	if len(negs) < len(s.Negotiations) {
		l.Notes = append(l.Notes, fmt.Sprintf("%d of %d negotiations and their data connections are drawn (failed ones first).", len(negs), len(s.Negotiations)))
	}
	if s.DroppedTransfers > 0 {
		l.Notes = append(l.Notes, fmt.Sprintf("%d transfers were not kept by the analysis (--max-transfers).", s.DroppedTransfers))
	}

	transferOf := map[*analyze.Negotiation]*analyze.Transfer{}
	for _, t := range s.Transfers {
		if t.Negotiation != nil {
			transferOf[t.Negotiation] = t
		}
	}
	for _, n := range negs {
		b.dataRows(n, transferOf[n], r.Result, s.Start)
	}

	if s.TLS && s.TLSAt.Valid() {
		label := "TLS starts: the rest of the control dialogue is encrypted"
		if s.DetectedBy == "implicit-tls" {
			label = "implicit FTPS: the control dialogue is encrypted from the start"
		}
		if s.TLSEnded {
			label += " (clear text came back later: CCC)"
		}
		at := s.TLSAt.Time.Sub(analyze.StampOf(s.Start))
		b.add(at, withEvidence(Row{Kind: RowNote, At: at, From: b.client, To: b.client, Stop: -1, Label: label}, r.Result, s.TLSAt))
	}
	if s.ProtocolErrors > 0 && s.FirstErrorAt.Valid() {
		at := s.FirstErrorAt.Time.Sub(analyze.StampOf(s.Start))
		b.add(at, withEvidence(Row{Kind: RowNote, At: at, From: b.client, To: b.client, Stop: -1, Severity: "warning",
			Label: fmt.Sprintf("%d lines that are not FTP; the first: %s", s.ProtocolErrors, term.Clean(s.FirstError))}, r.Result, s.FirstErrorAt))
	}
	frames := sessionFrames(s)
	for _, f := range findings {
		b.addFinding(f, func(e diagnose.Evidence) (*analyze.Result, time.Duration, int) {
			rank := 0
			if frames.has(e.At) {
				rank = 2
			}
			return r.Result, e.At.Time.Sub(analyze.StampOf(s.Start)), rank
		})
	}
	return b.finish()
}

func orUnknown(a netip.Addr) string {
	if a.IsValid() {
		return a.String()
	}
	return "a private address"
}

// dataRows adds the rows of a negotiation's data connections, as seen at
// point r.
func (b *builder) dataRows(n *analyze.Negotiation, t *analyze.Transfer, r *analyze.Result, start time.Time) {
	conns := append([]*analyze.DataConn{}, n.Others...)
	if n.Data != nil {
		conns = append(conns, n.Data)
	}
	for _, dc := range conns {
		b.add(dataTime(dc).Sub(start), b.dataRow(dc, n, r, start, b.mid))
	}
	if len(conns) > 0 || !n.Accepted() || n.Inferred != "" {
		return
	}
	// Accepted, and no SYN for it crossed this point.
	ref := n.At
	if t != nil && t.Final.At.Valid() {
		ref = t.Final.At
	}
	col := b.client
	if !n.Mode.IsPassive() {
		col = b.server
	}
	at := ref.Time.Sub(analyze.StampOf(start))
	b.add(at, withEvidence(Row{Kind: RowData, At: at, From: col, To: col, Stop: -1,
		Label: "no data connection for " + n.Command + " " + n.Address.String(), Detail: "not attempted: no SYN for it crossed this capture point",
		Severity: "warning"}, r, ref))
}

// dataRow is one data connection's arrow; stop is the column where a SYN
// that died on the path ends.
func (b *builder) dataRow(dc *analyze.DataConn, n *analyze.Negotiation, r *analyze.Result, start time.Time, stop int) Row {
	from, to := b.client, b.server
	if dc.Initiator == "server" {
		from, to = to, from
	}
	at := dataTime(dc).Sub(start)
	row := withEvidence(Row{Kind: RowData, At: at, From: from, To: to, Stop: -1, Label: synLabel(dc), Detail: dataOutcome(dc, frameWords)}, r, dataRef(dc))
	if dc.State() != analyze.Established {
		row.Severity = "error"
		if diedOnPath(b.facts, dc) && stop >= 0 {
			row.Stop = stop
		}
	}
	if n.Inferred != "" {
		row.Detail += "; negotiation not visible (" + n.Inferred + ")"
	}
	if n.Data != nil && n.Data != dc {
		row.Detail += "; an earlier attempt"
	}
	return row
}

// negRaw is a negotiation's line as sent, not cleaned: the command for
// PORT/EPRT/LPRT, the reply for PASV/EPSV/LPSV.
func negRaw(n *analyze.Negotiation) string {
	if n.Mode.IsPassive() {
		return strings.TrimSpace(fmt.Sprintf("%d %s", n.Reply.Code, n.Reply.Text))
	}
	return strings.TrimSpace(n.Command + " " + n.Arg)
}

// negText is a negotiation's line, cleaned.
func negText(n *analyze.Negotiation) string { return term.Clean(negRaw(n)) }

// verdictSeverity colours a box's verdict on a negotiation.
func verdictSeverity(v analyze.ALGVerdict) string {
	switch v {
	case analyze.ALGRewritten:
		return "info"
	case analyze.ALGUntouched:
		return ""
	case analyze.ALGEncrypted, analyze.ALGNotSeen:
		return "warning"
	}
	return "error"
}

// Ladders builds the ladders of the sessions of points: all of them
// (sessionID "" or "all"), those whose ID is sessionID ("S3", at any
// point), or those of one point ("POINT:S3", "POINT:all"). A session seen
// at several points along path (a story of path, which may be nil) is
// drawn once with BuildPath, when any of its sessions is asked for; the
// others with Build.
func Ladders(points []*diagnose.Point, path *diagnose.PathDiagnosis, sessionID string) []*Ladder {
	point, id := "", sessionID
	if i := strings.LastIndex(sessionID, ":"); i >= 0 {
		point, id = sessionID[:i], sessionID[i+1:]
	}
	want := func(p string, s *analyze.Session) bool {
		if point != "" && p != point {
			return false
		}
		return id == "" || strings.EqualFold(id, "all") || strings.EqualFold(s.ID, id)
	}
	storyOf := map[*analyze.Session]*diagnose.Story{}
	if path != nil {
		for _, st := range path.Stories {
			for _, s := range st.At {
				if s != nil {
					storyOf[s] = st
				}
			}
		}
	}
	wantStory := func(st *diagnose.Story) bool {
		for i, s := range st.At {
			if s != nil && want(path.Path.Points[i].Point, s) {
				return true
			}
		}
		return false
	}
	done := map[*diagnose.Story]bool{}
	var out []*Ladder
	for _, r := range points {
		for _, s := range r.Sessions {
			if st := storyOf[s]; st != nil {
				if !done[st] && wantStory(st) {
					done[st] = true
					out = append(out, BuildPath(path, st))
				}
				continue
			}
			if want(r.Point, s) {
				out = append(out, Build(r, s))
			}
		}
	}
	return out
}
