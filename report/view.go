package report

import (
	"fmt"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/ftpsniff/ftpsniff/analyze"
	"github.com/ftpsniff/ftpsniff/diagnose"
	"github.com/ftpsniff/ftpsniff/report/term"
)

// A View is a report's content for people, built once from a Run: every
// cell, verdict and evidence line, already made safe for a terminal
// (term.Clean). The table, Markdown, HTML and live-stream writers lay it
// out, each its own way; none of them reads the analysis again.
type View struct {
	Points []PointView
	// Path is the story of the sessions seen at several points (nil with
	// one point).
	Path *PathView
	// Summary is the run's counts in one sentence, and the notes under
	// it (what the limits left out, input errors, live capture's drops).
	Summary      string
	SummaryNotes []Note
	// Kinds are the findings of the whole run by kind, most severe first.
	Kinds []FindingKind
}

// PointView is one capture point.
type PointView struct {
	Name  string
	Files string // its inputs, comma-separated
	// SeveralFiles says the point reads more than one file, so that a
	// frame number needs its file's name.
	SeveralFiles bool
	Stats        string // "47 packets, 2992 bytes" and what the snap length cut
	// Along says which of its sessions are told along the path instead
	// ("" without a path).
	Along string
	// Answer is what the reader wants first: one or two sentences saying
	// how many transfers failed, the errors and warnings found, and the fix.
	Answer    []string
	Sessions  []SessionRow
	Transfers []TransferRow
	Findings  []FindingView
}

// SessionRow is a session's cells.
type SessionRow struct {
	ID, Client, Server, User, TLS, Commands, Transfers, Gaps, Closed, Notes string
}

// TransferRow is a transfer's cells, and its verdict. Every report draws
// its transfers from these; the parts (Address, NegFrame, State, Flow,
// SYNFrame, ByteCount) are there for reports that show them apart.
type TransferRow struct {
	ID, Command, Mode string
	// Negotiated is Address and NegFrame together: "PASV 192.0.2.1:30005 (16)".
	Negotiated, Address string
	NegFrame            uint64
	NegReply            string // "227", "none" (unanswered), "-"
	NegReplyCode        int
	// Data is State, Flow and SYNFrame together: "refused, server
	// 192.0.2.1:20→10.0.0.2:40001 (SYN 31)", or what is known without one.
	Data, State, Flow string
	SYNFrame          uint64
	Bytes             string // ByteCount, or "-" without a data connection
	ByteCount         uint64
	Reply             string // the final reply, or why there is none
	// Verdict is the code of the finding that explains the transfer, "ok",
	// or "-"; Severity that finding's severity ("" for ok and -).
	Verdict, Severity string
	Session           *analyze.Session
	Transfer          *analyze.Transfer
}

// FindingView is one finding, numbered as listed.
type FindingView struct {
	Number   int
	Severity string // info, warning, error
	Code     string
	IDs      string // "S1 (S1.T1, S1.T2)"
	Summary  string
	Advice   string
	Evidence []EvidenceView
	Finding  *diagnose.Finding
}

// EvidenceView is one frame of a finding's evidence, its file resolved.
type EvidenceView struct {
	// Point is the capture point of the frame when it is not the
	// finding's own (a finding resting on several points).
	Point string
	File  string
	Frame uint64
	Time  string // 15:04:05.000000, UTC
	What  string
}

// Note is a line under the summary.
type Note struct{ Label, Text string }

// FindingKind is the findings of one code and severity across the run.
type FindingKind struct {
	Severity diagnose.Severity
	Code     string
	Count    int
	Where    []string // transfer (or session) IDs, prefixed by the point with several
}

// NewView builds the view of a run.
func NewView(run *Run) *View {
	v := &View{}
	for _, p := range run.Points {
		v.Points = append(v.Points, pointView(p, run.Path))
	}
	if run.Path != nil {
		v.Path = pathView(run.Path)
	}
	sum := summaryRec(run)
	sessions := plural(sum.Sessions, "session")
	if run.Path != nil {
		sessions = fmt.Sprintf("%s at %d capture points (%d followed along the path)", sessions, len(run.Points), sum.PathSessions)
	}
	v.Summary = fmt.Sprintf("%s, %s; findings: %d error, %d warning, %d info; %s, %d bytes read",
		sessions, plural(sum.Transfers, "transfer"), sum.Findings["error"], sum.Findings["warning"], sum.Findings["info"],
		plural(int(sum.Packets), "packet"), sum.Bytes)
	if sum.TruncatedPackets > 0 {
		v.Summary += fmt.Sprintf(", %d truncated by the snap length", sum.TruncatedPackets)
	}
	v.Summary += "."
	for _, n := range summaryNotes(run, sum) {
		v.SummaryNotes = append(v.SummaryNotes, Note{n.label, n.text})
	}
	v.Kinds = findingKinds(run)
	return v
}

// pointView builds one point's view. With a path, the sessions seen at
// several points are told along it (PathView) and left out here: Along
// names them, and the answer covers the rest.
func pointView(p *diagnose.Point, path *diagnose.PathDiagnosis) PointView {
	pv := PointView{Name: term.Clean(p.Point), Files: term.Clean(strings.Join(p.Inputs, ", ")), SeveralFiles: len(p.Inputs) > 1,
		Stats: fmt.Sprintf("%s, %d bytes", plural(int(p.Capture.Packets), "packet"), p.Capture.Bytes)}
	if p.Capture.Truncated > 0 {
		pv.Stats += fmt.Sprintf(", %d cut by the snap length", p.Capture.Truncated)
	}
	verdicts := map[*analyze.Transfer]*diagnose.Finding{}
	for _, f := range p.Findings {
		for _, t := range f.Transfers {
			if verdicts[t] == nil {
				verdicts[t] = f
			}
		}
	}
	told := path.Told()
	var along []string
	for _, s := range p.Sessions {
		if told[s] {
			along = append(along, s.ID)
			continue
		}
		pv.Sessions = append(pv.Sessions, sessionRow(p.Result, s))
		for _, t := range s.Transfers {
			pv.Transfers = append(pv.Transfers, transferRow(p.Result, s, t, verdicts[t]))
		}
	}
	if len(along) > 0 {
		pv.Along = term.Clean(fmt.Sprintf("%s seen at other points too: told along the path below.", sessionList(along)))
	}
	pv.Findings = findingViews(p.Findings, p.Result)
	if len(pv.Sessions) > 0 || len(p.Findings) > 0 {
		pv.Answer = answer(pv.Transfers, p.Findings, len(pv.Sessions))
	}
	return pv
}

// sessionList names sessions: "Session S1", "Sessions S1, S2 and S3" (at most
// eight, then how many more).
func sessionList(ids []string) string {
	head := "Session"
	if len(ids) > 1 {
		head += "s"
	}
	if len(ids) > 8 {
		return fmt.Sprintf("%s %s and %d more", head, strings.Join(ids[:8], ", "), len(ids)-8)
	}
	if len(ids) == 1 {
		return head + " " + ids[0]
	}
	return head + " " + strings.Join(ids[:len(ids)-1], ", ") + " and " + ids[len(ids)-1]
}

// answer says first what the reader came for: how many transfers failed,
// the errors and warnings found, and the first thing to fix.
func answer(rows []TransferRow, findings []*diagnose.Finding, sessions int) []string {
	failed, completed := 0, 0
	for _, r := range rows {
		switch outcome(r) {
		case "failed":
			failed++
		case "completed":
			completed++
		}
	}
	unknown := len(rows) - failed - completed
	// Why an outcome is missing: the replies are encrypted, or not in
	// the capture.
	unseen := "no final reply seen"
	encrypted := unknown > 0
	for _, r := range rows {
		if outcome(r) == "" && (r.Session == nil || !r.Session.TLS) {
			encrypted = false
		}
	}
	if encrypted {
		unseen = "its replies are encrypted"
	}
	var errs, warns []string
	count := map[string]int{}
	var first *diagnose.Finding
	firstNumber := 0
	for i, f := range findings {
		k := string(f.Code)
		switch f.Severity {
		case diagnose.Error:
			if count["e "+k] == 0 {
				errs = append(errs, k)
			}
			count["e "+k]++
			if first == nil {
				first, firstNumber = f, i+1
			}
		case diagnose.Warning:
			if count["w "+k] == 0 {
				warns = append(warns, k)
			}
			count["w "+k]++
		}
	}
	list := func(codes []string, prefix string) string {
		var out []string
		for _, c := range codes {
			if n := count[prefix+c]; n > 1 {
				out = append(out, fmt.Sprintf("%s ×%d", c, n))
			} else {
				out = append(out, c)
			}
		}
		return strings.Join(out, ", ")
	}
	var line string
	switch {
	case sessions == 0:
		return []string{"No FTP control connection found."}
	case len(rows) == 0:
		line = "No transfer was seen"
	case len(rows) == 1 && failed == 1:
		line = "The transfer failed"
	case len(rows) == 1 && completed == 1:
		line = "The transfer completed"
	case len(rows) == 1:
		line = "The transfer's outcome is not in the capture (" + unseen + ")"
	case len(rows) == 2 && failed == 2:
		line = "Both transfers failed"
	case len(rows) == 2 && completed == 2:
		line = "Both transfers completed"
	case failed == len(rows):
		line = fmt.Sprintf("All %d transfers failed", len(rows))
	case completed == len(rows):
		line = fmt.Sprintf("All %d transfers completed", len(rows))
	case unknown == len(rows):
		line = fmt.Sprintf("The outcome of the %d transfers is not in the capture (%s)", len(rows), strings.Replace(unseen, "its", "their", 1))
	default:
		var parts []string
		if failed > 0 {
			parts = append(parts, fmt.Sprintf("%d failed", failed))
		}
		if completed > 0 {
			parts = append(parts, fmt.Sprintf("%d completed", completed))
		}
		if unknown > 0 {
			parts = append(parts, fmt.Sprintf("%d without an outcome in the capture (%s)", unknown, strings.Replace(unseen, "its", "their", 1)))
		}
		line = fmt.Sprintf("Of %d transfers, %s", len(rows), joinAnd(parts))
	}
	if len(errs) > 0 {
		line += fmt.Sprintf("; %s: %s", plural(sumCounts(count, errs, "e "), "error"), list(errs, "e "))
	}
	if len(warns) > 0 {
		line += fmt.Sprintf("; %s: %s", plural(sumCounts(count, warns, "w "), "warning"), list(warns, "w "))
	}
	out := []string{line + "."}
	if first != nil {
		out = append(out, fmt.Sprintf("Fix first (finding %d): %s.", firstNumber, term.Clean(adviceGist(first.Advice))))
	}
	return out
}

// outcome is how a transfer ended, as far as the capture shows: "failed"
// (an error explains it, or the server said no to its command or to its
// negotiation), "completed" (a 2xx final reply), or "" (not seen).
func outcome(r TransferRow) string {
	t := r.Transfer
	switch {
	case r.Severity == "error", t.Final.Code >= 400:
		return "failed"
	case t.Final.Code >= 200 && t.Final.Code < 300:
		return "completed"
	case t.Final.Code == 0 && t.Command == "" && t.Negotiation != nil && t.Negotiation.Reply.Code >= 400:
		return "failed"
	}
	return ""
}

// joinAnd joins "a", "b" and "c" as "a, b and c".
func joinAnd(parts []string) string {
	if len(parts) < 2 {
		return strings.Join(parts, "")
	}
	return strings.Join(parts[:len(parts)-1], ", ") + " and " + parts[len(parts)-1]
}

func sumCounts(count map[string]int, codes []string, prefix string) int {
	n := 0
	for _, c := range codes {
		n += count[prefix+c]
	}
	return n
}

// adviceGist is advice's first sentence without its parenthesised
// details: the action ("Use passive mode, or attach the kernel FTP helper
// on the client's NAT router"), the how-to being in the finding.
func adviceGist(s string) string {
	var b strings.Builder
	depth := 0
	for i, r := range s {
		switch {
		case r == '(':
			depth++
		case r == ')' && depth > 0:
			depth--
		case depth > 0:
		case r == '.' && (i+1 == len(s) || s[i+1] == ' '):
			return tidyGist(b.String())
		default:
			b.WriteRune(r)
		}
	}
	return tidyGist(b.String())
}

// tidyGist closes up the spaces the removed parentheses leave.
func tidyGist(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	for _, p := range []string{",", ";", ":"} {
		s = strings.ReplaceAll(s, " "+p, p)
	}
	return strings.TrimRight(s, ",;: ")
}

// frameIn names a frame for a table cell: "16", or "a.pcap:16" when the
// point reads several files.
func frameIn(r *analyze.Result, ref analyze.Ref) string {
	if len(r.Inputs) > 1 {
		return filepath.Base(fileOf(r, ref)) + ":" + strconv.FormatUint(ref.Frame, 10)
	}
	return strconv.FormatUint(ref.Frame, 10)
}

// sideWords says where the point sits, for the Notes cell.
func sideWords(s analyze.Side) string {
	switch s {
	case analyze.SideClient:
		return "captured on the client's side"
	case analyze.SideServer:
		return "captured on the server's side"
	case analyze.SideSameLAN:
		return "captured on the hosts' shared link"
	case analyze.SideBetween:
		return "captured between the client and the server"
	}
	return ""
}

func sessionRow(r *analyze.Result, s *analyze.Session) SessionRow {
	tls := "no"
	if s.TLS {
		tls = "yes"
		if s.DetectedBy == "implicit-tls" {
			tls = "implicit"
		}
		if s.TLSEnded {
			tls += ", then clear (CCC)"
		}
	}
	gaps := "0"
	if s.Gaps > 0 {
		gaps = fmt.Sprintf("%s (%d B)", plural(s.Gaps, "hole"), s.MissingBytes)
	}
	var notes []string
	if s.Opening.SYN.Valid() && !s.Opening.SYNACK.Valid() && s.Commands == 0 && s.Replies == 0 {
		switch s.Opening.State() {
		case analyze.Refused:
			notes = append(notes, "no session: the SYN was reset")
		case analyze.Unreachable:
			notes = append(notes, "no session: the SYN was refused by ICMP")
		default:
			notes = append(notes, "no session: the SYN was never answered")
		}
	}
	if w := sideWords(s.Side); w != "" {
		notes = append(notes, w)
	}
	if s.MidStream {
		notes = append(notes, "capture starts mid-session")
	}
	if s.DetectedBy == "greeting" {
		notes = append(notes, "found by its greeting on port "+strconv.Itoa(int(s.Server.Port())))
	}
	if s.ProtocolErrors > 0 {
		notes = append(notes, plural(s.ProtocolErrors, "non-FTP line"))
	}
	if s.Twin != nil {
		notes = append(notes, "the same connection as "+s.Twin.ID+", seen across a NAT")
	}
	closed := s.Closed
	if closed == "" {
		closed = "open"
	}
	user := s.User
	if user == "" {
		user = "-"
	}
	return SessionRow{ID: s.ID, Client: s.Client.String(), Server: s.Server.String(), User: cell(user), TLS: tls,
		Commands: strconv.Itoa(s.Commands), Transfers: strconv.Itoa(len(s.Transfers)), Gaps: gaps, Closed: closed, Notes: strings.Join(notes, "; ")}
}

func transferRow(r *analyze.Result, s *analyze.Session, t *analyze.Transfer, why *diagnose.Finding) TransferRow {
	cmd := t.Command
	if cmd == "" {
		cmd = "(no command)"
	}
	if t.Arg != "" {
		cmd += " " + t.Arg
	}
	row := TransferRow{ID: t.ID, Command: wire(cmd), Mode: "-", Negotiated: "-", Address: "-", NegReply: "-", Bytes: "-",
		State: string(t.DataState()), Session: s, Transfer: t}
	if n := t.Negotiation; n != nil {
		row.Mode = string(n.Mode)
		switch {
		case n.Inferred == "tls-host-pair":
			row.Address = "(encrypted) " + n.Address.String()
		case n.Inferred != "":
			row.Address = "(not captured) " + n.Address.String()
		case n.ParseError != "":
			row.Address = n.Command + " unparsable: " + n.ParseError
		case n.Address.IsValid():
			row.Address = n.Command + " " + n.Address.String()
		default:
			row.Address = n.Command
		}
		row.Address = wire(row.Address)
		row.Negotiated = row.Address
		if n.Inferred == "" && n.At.Frame != 0 {
			row.NegFrame = n.At.Frame
			row.Negotiated += " (" + frameIn(r, n.At) + ")"
		}
		if n.Reply.Code != 0 {
			row.NegReplyCode = n.Reply.Code
			row.NegReply = strconv.Itoa(n.Reply.Code)
		} else if n.Inferred == "" {
			row.NegReply = "none"
		}
	}
	row.Data = "no SYN seen here"
	if t.DataState() == analyze.NotCaptured {
		row.Data = "not captured here (the replies say it ran)"
	}
	if d := t.Data(); d != nil {
		row.State = string(d.State())
		flow := fmt.Sprintf("%s %s→%s", d.Initiator, d.Src, d.Dst)
		extra := ""
		if d.MatchedBy == "control-address" {
			extra += ", to the control address"
		}
		switch n := len(d.SYNRetries); {
		case n == 0 || d.State() == analyze.Established:
		case n == 1:
			extra += ", 1 SYN retry"
		default:
			extra += fmt.Sprintf(", %d SYN retries", n)
		}
		row.Flow = flow + extra
		if d.MidStream {
			row.Data = fmt.Sprintf("%s, %s (seen mid-stream)%s", d.State(), flow, extra)
		} else {
			row.SYNFrame = d.SYN.Frame
			row.Data = fmt.Sprintf("%s, %s (SYN %s)%s", d.State(), flow, frameIn(r, d.SYN), extra)
		}
		row.ByteCount = d.Bytes()
		row.Bytes = strconv.FormatUint(row.ByteCount, 10)
	}
	switch {
	case t.Final.Code != 0:
		row.Reply = wire(strconv.Itoa(t.Final.Code) + " " + t.Final.Text)
	case t.Prelim.Code != 0:
		// A 150/125 says the transfer began; it is not the outcome.
		row.Reply = wire(fmt.Sprintf("no final reply (after %d %s)", t.Prelim.Code, t.Prelim.Text))
	default:
		row.Reply = "-"
	}
	switch {
	case why != nil:
		row.Verdict, row.Severity = string(why.Code), why.Severity.String()
	case t.DataState() == analyze.Established && t.Final.Code >= 200 && t.Final.Code < 300,
		t.DataState() == analyze.NotCaptured:
		row.Verdict = "ok"
	default:
		row.Verdict = "-"
	}
	return row
}

// findingViews numbers findings and resolves their evidence to files;
// evidence from another capture point is looked up among others.
func findingViews(fs []*diagnose.Finding, r *analyze.Result, others ...*analyze.Result) []FindingView {
	var out []FindingView
	for i, f := range fs {
		fv := FindingView{Number: i + 1, Severity: f.Severity.String(), Code: string(f.Code), Summary: term.Clean(f.Summary), Advice: term.Clean(f.Advice), Finding: f}
		if f.Session != nil {
			fv.IDs = f.Session.ID
		}
		if len(f.Transfers) > 0 {
			var ts []string
			for _, t := range f.Transfers {
				ts = append(ts, t.ID)
			}
			fv.IDs += " (" + strings.Join(ts, ", ") + ")"
		}
		if len(f.Points) > 1 {
			fv.IDs += " at " + strings.Join(f.Points, ", ")
		}
		for _, e := range f.Evidence {
			point := e.Point
			if point == "" {
				point = f.Point
			}
			src := r
			for _, o := range others {
				if o.Point == point {
					src = o
				}
			}
			shown := point
			if point == f.Point {
				shown = ""
			}
			fv.Evidence = append(fv.Evidence, EvidenceView{Point: term.Clean(shown), File: term.Clean(fileOf(src, e.At)), Frame: e.At.Frame,
				Time: e.At.Time.UTC().Format("15:04:05.000000"), What: term.Clean(e.What)})
		}
		out = append(out, fv)
	}
	return out
}

// findingKinds groups the run's findings by code and severity, most severe
// first, naming where each was made.
func findingKinds(run *Run) []FindingKind {
	var kinds []FindingKind
	add := func(point string, f *diagnose.Finding) {
		i := -1
		for j := range kinds {
			if kinds[j].Code == string(f.Code) && kinds[j].Severity == f.Severity {
				i = j
			}
		}
		if i < 0 {
			kinds = append(kinds, FindingKind{Severity: f.Severity, Code: string(f.Code)})
			i = len(kinds) - 1
		}
		k := &kinds[i]
		k.Count++
		var ids []string
		for _, t := range f.Transfers {
			ids = append(ids, t.ID)
		}
		if len(ids) == 0 && f.Session != nil {
			ids = append(ids, f.Session.ID)
		}
		for _, id := range ids {
			if len(run.Points) > 1 {
				id = point + " " + id
			}
			if !contains(k.Where, id) {
				k.Where = append(k.Where, term.Clean(id))
			}
		}
	}
	for _, p := range run.Points {
		for _, f := range p.Findings {
			add(p.Point, f)
		}
	}
	if run.Path != nil {
		for _, f := range run.Path.Findings() {
			add(f.Point, f)
		}
	}
	for i := 1; i < len(kinds); i++ { // stable, most severe first
		for j := i; j > 0 && kinds[j].Severity > kinds[j-1].Severity; j-- {
			kinds[j], kinds[j-1] = kinds[j-1], kinds[j]
		}
	}
	return kinds
}
