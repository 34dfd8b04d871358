package report

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net/netip"
	"strings"
	"time"

	"github.com/ftpsniff/ftpsniff/analyze"
	"github.com/ftpsniff/ftpsniff/diagnose"
)

// TimeFormat is RFC 3339 in UTC with nanoseconds, as the contract says.
const TimeFormat = "2006-01-02T15:04:05.000000000Z07:00"

func ts(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	var b [len("2006-01-02T15:04:05.000000000Z")]byte
	return string(appendTimestamp(b[:0], t))
}

// appendTimestamp appends t as TimeFormat, as t.UTC().Format(TimeFormat)
// writes it, in a fraction of its time: a report holds several times per
// record, and time's general layout interpreter was a third of the JSON
// writer's time on an all-FTP capture.
func appendTimestamp(b []byte, t time.Time) []byte {
	secs := t.Unix()
	days, rem := secs/secondsPerDay, secs%secondsPerDay
	if rem < 0 {
		days, rem = days-1, rem+secondsPerDay
	}
	year, month, day := civilDate(days)
	if year < 0 || year > 9999 {
		return t.UTC().AppendFormat(b, TimeFormat)
	}
	b = append(b, "0000-00-00T00:00:00.000000000Z"...)
	d := b[len(b)-len("0000-00-00T00:00:00.000000000Z"):]
	put2(d[0:], int(year/100))
	put2(d[2:], int(year%100))
	put2(d[5:], month)
	put2(d[8:], day)
	put2(d[11:], int(rem/3600))
	put2(d[14:], int(rem/60%60))
	put2(d[17:], int(rem%60))
	ns := t.Nanosecond()
	put2(d[27:], ns%100)
	ns /= 100
	put2(d[25:], ns%100)
	ns /= 100
	put2(d[23:], ns%100)
	ns /= 100
	put2(d[21:], ns%100)
	d[20] = byte('0' + ns/100)
	return b
}

const secondsPerDay = 24 * 60 * 60

// civilDate is the proleptic Gregorian date days after 1970-01-01 (Howard
// Hinnant's days_from_civil, inverted).
func civilDate(days int64) (year int64, month, day int) {
	z := days + 719468
	era := z / 146097
	if z < 0 && z%146097 != 0 {
		era--
	}
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	day = int(doy - (153*mp+2)/5 + 1)
	if mp < 10 {
		month = int(mp + 3)
	} else {
		month = int(mp - 9)
	}
	year = yoe + era*400
	if month <= 2 {
		year++
	}
	return year, month, day
}

// put2 writes v (0 <= v < 100) as two digits at d[0:2].
func put2(d []byte, v int) {
	d[0], d[1] = byte('0'+v/10), byte('0'+v%10)
}

func addr(ap netip.AddrPort) string {
	if !ap.IsValid() {
		return ""
	}
	return ap.String()
}

// The JSON records. Field names and meanings are the contract's
// (shared/spec/CONTRACT.md); fields beyond it are documented in README.md.

type sessionRecord struct {
	Type            string `json:"type"`
	ID              string `json:"id"`
	Point           string `json:"point"`
	Client          string `json:"client"`
	Server          string `json:"server"`
	Start           string `json:"start"`
	End             string `json:"end"`
	User            string `json:"user"`
	Password        string `json:"password,omitempty"`
	LoggedIn        bool   `json:"logged_in"`
	TLS             bool   `json:"tls"`
	TLSFrame        uint64 `json:"tls_frame,omitempty"`
	TLSEnded        bool   `json:"tls_ended,omitempty"`
	Gaps            int    `json:"gaps"`
	MissingBytes    uint64 `json:"missing_bytes"`
	Commands        int    `json:"commands"`
	Replies         int    `json:"replies"`
	Transfers       int    `json:"transfers"`
	File            string `json:"file"`
	FirstFrame      uint64 `json:"first_frame"`
	MidStream       bool   `json:"mid_stream"`
	DetectedBy      string `json:"detected_by"`
	Greeting        string `json:"greeting,omitempty"`
	Closed          string `json:"closed"`
	ProtocolErrors  int    `json:"protocol_errors"`
	FirstError      string `json:"first_error,omitempty"`
	LongLines       int    `json:"long_lines,omitempty"`
	Retransmissions uint64 `json:"retransmissions"`
	DupAcks         uint64 `json:"dup_acks"`
	DroppedTrans    int    `json:"dropped_transfers,omitempty"`
	CaptureSide     string `json:"capture_side"`
	CaptureSideWhy  string `json:"capture_side_why"`
}

type negotiationRecord struct {
	Command      string `json:"command"`
	Arg          string `json:"arg,omitempty"`
	ReplyCode    int    `json:"reply_code"`
	ReplyText    string `json:"reply_text,omitempty"`
	Address      string `json:"address"`
	ParseError   string `json:"parse_error,omitempty"`
	Inferred     string `json:"inferred,omitempty"`
	File         string `json:"file"`
	Frame        uint64 `json:"frame"`
	Time         string `json:"time"`
	CommandFrame uint64 `json:"command_frame,omitempty"`
	ReplyFrame   uint64 `json:"reply_frame,omitempty"`
}

type dataRecord struct {
	State           string   `json:"state"`
	Initiator       string   `json:"initiator,omitempty"`
	Src             string   `json:"src,omitempty"`
	Dst             string   `json:"dst,omitempty"`
	MatchedBy       string   `json:"matched_by,omitempty"`
	File            string   `json:"file,omitempty"`
	SYNFrame        uint64   `json:"syn_frame,omitempty"`
	SYNTime         string   `json:"syn_time,omitempty"`
	SYNRetries      []string `json:"syn_retries,omitempty"`
	SYNACKFrame     uint64   `json:"synack_frame,omitempty"`
	RSTFrame        uint64   `json:"rst_frame,omitempty"`
	ICMPFrame       uint64   `json:"icmp_frame,omitempty"`
	ICMPFrom        string   `json:"icmp_from,omitempty"`
	Bytes           uint64   `json:"bytes"`
	BytesInitiator  uint64   `json:"bytes_from_initiator"`
	BytesAcceptor   uint64   `json:"bytes_from_acceptor"`
	FirstFrame      uint64   `json:"first_frame,omitempty"`
	LastFrame       uint64   `json:"last_frame,omitempty"`
	DurationSeconds float64  `json:"duration,omitempty"`
	OtherAttempts   int      `json:"other_attempts,omitempty"`
	MidStream       bool     `json:"mid_stream,omitempty"`
}

type replyRecord struct {
	Code  int    `json:"code"`
	Text  string `json:"text"`
	Frame uint64 `json:"frame,omitempty"`
	Time  string `json:"time,omitempty"`
}

type transferRecord struct {
	Type         string             `json:"type"`
	ID           string             `json:"id"`
	Session      string             `json:"session"`
	Point        string             `json:"point"`
	Command      string             `json:"command"`
	Arg          string             `json:"arg"`
	CommandFrame uint64             `json:"command_frame,omitempty"`
	Mode         string             `json:"mode"`
	Negotiation  *negotiationRecord `json:"negotiation"`
	Data         dataRecord         `json:"data"`
	Prelim       *replyRecord       `json:"prelim,omitempty"`
	Reply        *replyRecord       `json:"reply"`
}

type evidenceRecord struct {
	File  string `json:"file"`
	Frame uint64 `json:"frame"`
	Time  string `json:"time"`
	Point string `json:"point"`
	What  string `json:"what"`
}

type findingRecord struct {
	Type      string           `json:"type"`
	Code      string           `json:"code"`
	Severity  string           `json:"severity"`
	Session   string           `json:"session"`
	Transfer  string           `json:"transfer,omitempty"`
	Transfers []string         `json:"transfers,omitempty"`
	Point     string           `json:"point"`
	Points    []string         `json:"points,omitempty"`
	Summary   string           `json:"summary"`
	Evidence  []evidenceRecord `json:"evidence"`
	Advice    string           `json:"advice"`
}

func findingRec(r *analyze.Result, f *diagnose.Finding, others ...*analyze.Result) findingRecord {
	rec := findingRecord{Type: "finding", Code: string(f.Code), Severity: f.Severity.String(), Point: r.Point,
		Summary: f.Summary, Advice: f.Advice, Evidence: []evidenceRecord{}, Points: f.Points}
	if f.Session != nil {
		rec.Session = f.Session.ID
	}
	for _, t := range f.Transfers {
		rec.Transfers = append(rec.Transfers, t.ID)
	}
	if len(rec.Transfers) > 0 {
		rec.Transfer = rec.Transfers[0]
	}
	for _, e := range f.Evidence {
		src := r
		for _, o := range others {
			if e.Point != "" && e.Point == o.Point {
				src = o
			}
		}
		rec.Evidence = append(rec.Evidence, evidenceRecord{File: fileOf(src, e.At), Frame: e.At.Frame, Time: ts(e.At.Time.Time()), Point: src.Point, What: e.What})
	}
	return rec
}

type algSide struct {
	Point   string `json:"point"`
	Session string `json:"session"`
	Line    string `json:"line,omitempty"`
	Address string `json:"address,omitempty"`
	File    string `json:"file,omitempty"`
	Frame   uint64 `json:"frame,omitempty"`
	Seq     uint32 `json:"seq,omitempty"`
}

type algRecord struct {
	Type          string  `json:"type"`
	Inside        algSide `json:"inside"`
	Outside       algSide `json:"outside"`
	Verdict       string  `json:"verdict"`
	Why           string  `json:"why"`
	SeqShift      *int64  `json:"seq_shift,omitempty"`
	LengthChange  int     `json:"length_change"`
	SeqConsistent *bool   `json:"seq_consistent,omitempty"`
}

func algRec(a *analyze.ALGResult, c *analyze.ALGComparison) algRecord {
	side := func(r *analyze.Result, s *analyze.Session, n *analyze.Negotiation) algSide {
		out := algSide{Point: r.Point, Session: s.ID}
		if n != nil {
			out.Line = strings.TrimSpace(n.Command + " " + n.Arg)
			if n.Mode.IsPassive() {
				out.Line = fmt.Sprintf("%d %s", n.Reply.Code, n.Reply.Text)
				out.Seq = n.ReplySeq
			} else {
				out.Seq = n.CommandSeq
			}
			out.Address, out.File, out.Frame = addr(n.Address), fileOf(r, n.At), n.At.Frame
		}
		return out
	}
	rec := algRecord{Type: "alg", Inside: side(a.Inside, c.InsideSession, c.Inside), Outside: side(a.Outside, c.OutsideSession, c.Outside),
		Verdict: string(c.Verdict), Why: c.Why, LengthChange: c.LengthChange}
	if c.SeqChecked {
		shift, ok := c.SeqShift, c.SeqConsistent
		rec.SeqShift, rec.SeqConsistent = &shift, &ok
	}
	return rec
}

type summaryRecord struct {
	Type      string `json:"type"`
	Sessions  int    `json:"sessions"`
	Transfers int    `json:"transfers"`
	// PathSessions counts the sessions seen at two or more points (each
	// point counts its own in Sessions).
	PathSessions     int            `json:"path_sessions,omitempty"`
	Findings         map[string]int `json:"findings"`
	Packets          uint64         `json:"packets"`
	Bytes            uint64         `json:"bytes"`
	TruncatedPackets uint64         `json:"truncated_packets"`
	Files            []string       `json:"files"`
	Points           []pointRecord  `json:"points"`
	KernelReceived   *uint64        `json:"kernel_received,omitempty"`
	KernelDrops      *uint64        `json:"kernel_drops,omitempty"`
	Errors           []string       `json:"errors,omitempty"`
}

type pointRecord struct {
	Name             string   `json:"name"`
	Files            []string `json:"files"`
	Packets          uint64   `json:"packets"`
	Bytes            uint64   `json:"bytes"`
	TruncatedPackets uint64   `json:"truncated_packets"`
	UnsupportedLink  uint64   `json:"unsupported_link_packets"`
	Fragments        uint64   `json:"fragments"`
	DroppedFlows     uint64   `json:"dropped_flows"`
	DroppedExpected  uint64   `json:"dropped_expectations"`
	DroppedTransfers uint64   `json:"dropped_transfers"`
	LongLines        uint64   `json:"long_lines"`
	ReassemblyForced uint64   `json:"reassembly_forced_gaps"`
	Start            string   `json:"start,omitempty"`
	End              string   `json:"end,omitempty"`
}

func fileOf(r *analyze.Result, ref analyze.Ref) string {
	if !ref.Valid() || ref.Input < 0 || ref.Input >= len(r.Inputs) {
		return ""
	}
	return r.Inputs[ref.Input]
}

func sessionRec(r *analyze.Result, s *analyze.Session) sessionRecord {
	rec := sessionRecord{
		Type: "session", ID: s.ID, Point: r.Point,
		Client: addr(s.Client), Server: addr(s.Server), Start: ts(s.Start), End: ts(s.End),
		User: s.User, Password: s.Password, LoggedIn: s.LoggedIn, TLS: s.TLS, TLSEnded: s.TLSEnded,
		Gaps: s.Gaps, MissingBytes: s.MissingBytes, Commands: s.Commands, Replies: s.Replies,
		Transfers: len(s.Transfers), File: fileOf(r, s.First), FirstFrame: s.First.Frame,
		MidStream: s.MidStream, DetectedBy: s.DetectedBy, Closed: s.Closed,
		ProtocolErrors: s.ProtocolErrors, FirstError: s.FirstError, LongLines: s.LongLines,
		Retransmissions: s.Retransmissions, DupAcks: s.DupAcks, DroppedTrans: s.DroppedTransfers,
		CaptureSide: string(s.Side), CaptureSideWhy: s.SideWhy,
	}
	if s.TLS {
		rec.TLSFrame = s.TLSAt.Frame
	}
	if s.Greeting.Code != 0 {
		rec.Greeting = s.Greeting.Text
	}
	if rec.Closed == "" {
		rec.Closed = "open"
	}
	return rec
}

func replyRec(r analyze.Reply) *replyRecord {
	if r.Code == 0 {
		return nil
	}
	return &replyRecord{Code: r.Code, Text: r.Text, Frame: r.At.Frame, Time: ts(r.At.Time.Time())}
}

func transferRec(r *analyze.Result, s *analyze.Session, t *analyze.Transfer) transferRecord {
	rec := transferRecord{Type: "transfer", ID: t.ID, Session: s.ID, Point: r.Point,
		Command: t.Command, Arg: t.Arg, CommandFrame: t.CommandAt.Frame, Mode: string(t.Mode()),
		Prelim: replyRec(t.Prelim), Reply: replyRec(t.Final)}
	if n := t.Negotiation; n != nil {
		nr := &negotiationRecord{Command: n.Command, Arg: n.Arg, ReplyCode: n.Reply.Code, ReplyText: n.Reply.Text,
			Address: addr(n.Address), ParseError: n.ParseError, Inferred: n.Inferred,
			File: fileOf(r, n.At), Frame: n.At.Frame, Time: ts(n.At.Time.Time())}
		if n.CommandAt.Frame != n.At.Frame {
			nr.CommandFrame = n.CommandAt.Frame
		}
		if n.Reply.At.Valid() && n.Reply.At.Frame != n.At.Frame {
			nr.ReplyFrame = n.Reply.At.Frame
		}
		rec.Negotiation = nr
	}
	rec.Data = dataRec(r, t)
	return rec
}

func dataRec(r *analyze.Result, t *analyze.Transfer) dataRecord {
	d := t.Data()
	if d == nil {
		return dataRecord{State: string(t.DataState())}
	}
	rec := dataRecord{State: string(d.State()), Initiator: d.Initiator, Src: addr(d.Src), Dst: addr(d.Dst),
		MatchedBy: d.MatchedBy, File: fileOf(r, d.First), SYNFrame: d.SYN.Frame, SYNTime: ts(d.SYN.Time.Time()),
		SYNACKFrame: d.SYNACK.Frame, RSTFrame: d.RST.Frame, ICMPFrame: d.ICMP.Frame,
		Bytes: d.Bytes(), BytesInitiator: d.BytesFromInitiator, BytesAcceptor: d.BytesFromAcceptor,
		FirstFrame: d.First.Frame, LastFrame: d.Last.Frame, OtherAttempts: len(t.Negotiation.Others), MidStream: d.MidStream}
	if d.ICMP.Valid() {
		rec.ICMPFrom = d.ICMPFrom.String()
	}
	for _, rt := range d.SYNRetries {
		rec.SYNRetries = append(rec.SYNRetries, rt.String())
	}
	if d.Last.Time.After(d.First.Time) {
		rec.DurationSeconds = d.Last.Time.Sub(d.First.Time).Seconds()
	}
	return rec
}

// SessionWriter writes each session as soon as the analysis releases it
// (its session record, its transfers, its findings), so that a JSON report
// of any capture needs memory only for the sessions still open. WriteJSON
// then writes what remains and the summary.
type SessionWriter struct {
	out recordLines
	r   *analyze.Result
	err error
	// Streamed, when set (live capture), is the stream that wrote
	// transfers and findings as they were decided: they are not written
	// again, and the stream forgets the session once it is written.
	Streamed *Stream
}

// NewSessionWriter writes to w for a capture point with the given inputs.
func NewSessionWriter(w io.Writer, point string, inputs []string) *SessionWriter {
	return &SessionWriter{out: recordLines{w: w}, r: &analyze.Result{Point: point, Inputs: inputs}}
}

// Transfer does nothing: a SessionWriter writes whole sessions (it is a
// pipeline sink; live capture's Stream writes transfers as they come).
func (sw *SessionWriter) Transfer(string, *analyze.Session, *analyze.Transfer, []*diagnose.Finding) {}

// Session writes one released session of the writer's point; the first
// error sticks.
func (sw *SessionWriter) Session(_ string, s *analyze.Session, findings []*diagnose.Finding) {
	if sw.err != nil {
		return
	}
	sr := sessionRec(sw.r, s)
	if sw.err = sw.out.write(sr.appendJSON(sw.out.b)); sw.err != nil {
		return
	}
	st := sw.Streamed
	if st != nil {
		defer st.Forget(s)
	}
	for _, t := range s.Transfers {
		if st != nil {
			if _, ok := st.Written[t]; ok {
				continue
			}
		}
		tr := transferRec(sw.r, s, t)
		if sw.err = sw.out.write(tr.appendJSON(sw.out.b)); sw.err != nil {
			return
		}
	}
	for _, f := range findings {
		if st != nil && st.wrote(f) {
			continue
		}
		fr := findingRec(sw.r, f)
		if sw.err = sw.out.write(fr.appendJSON(sw.out.b)); sw.err != nil {
			return
		}
	}
}

// Err returns the first write error.
func (sw *SessionWriter) Err() error { return sw.err }

// WriteJSON writes in JSON Lines: every session, then its transfers, then
// the findings (most severe first), then one summary record.
func WriteJSON(w io.Writer, in *Run) error {
	bw := bufio.NewWriter(w)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	out := recordLines{w: bw}
	for _, r := range in.Points {
		for _, s := range r.Sessions {
			sr := sessionRec(r.Result, s)
			if err := out.write(sr.appendJSON(out.b)); err != nil {
				return err
			}
			for _, t := range s.Transfers {
				if in.Streamed[t] {
					continue
				}
				tr := transferRec(r.Result, s, t)
				if err := out.write(tr.appendJSON(out.b)); err != nil {
					return err
				}
			}
		}
	}
	for _, r := range in.Points {
		for _, f := range r.Findings {
			if streamed(in, r.Point, f) {
				continue
			}
			fr := findingRec(r.Result, f)
			if err := out.write(fr.appendJSON(out.b)); err != nil {
				return err
			}
		}
	}
	if in.Path != nil {
		if err := writePath(enc, in.Path); err != nil {
			return err
		}
	}
	if err := enc.Encode(summaryRec(in)); err != nil {
		return err
	}
	return bw.Flush()
}

// streamed reports whether every transfer a finding explains was already
// written with it (live capture).
func streamed(in *Run, point string, f *diagnose.Finding) bool {
	if len(in.StreamedFindings) == 0 || len(f.Transfers) == 0 {
		return false
	}
	for _, t := range f.Transfers {
		if !in.StreamedFindings[point+" "+string(f.Code)+" "+t.ID] {
			return false
		}
	}
	return true
}

func summaryRec(in *Run) summaryRecord {
	sum := summaryRecord{Type: "summary", Findings: map[string]int{"error": 0, "warning": 0, "info": 0}, Files: []string{}, Errors: in.Errors}
	if in.Live {
		rcv, drop := in.KernelReceived, in.KernelDrops
		sum.KernelReceived, sum.KernelDrops = &rcv, &drop
	}
	for _, r := range in.Points {
		sum.Sessions += len(r.Sessions) + r.LeftOut.Sessions
		sum.Transfers += r.LeftOut.Transfers
		for _, f := range r.Findings {
			sum.Findings[f.Severity.String()]++
		}
		for sev, n := range r.LeftOut.Findings {
			sum.Findings[diagnose.Severity(sev).String()] += n
		}
	}
	if in.Path != nil {
		sum.PathSessions = len(in.Path.Stories)
		for _, f := range in.Path.Findings() {
			sum.Findings[f.Severity.String()]++
		}
	}
	for _, r := range in.Points {
		st := r.Capture
		for _, s := range r.Sessions {
			sum.Transfers += len(s.Transfers)
		}
		sum.Packets += st.Packets
		sum.Bytes += st.Bytes
		sum.TruncatedPackets += st.Truncated
		sum.Files = append(sum.Files, r.Inputs...)
		sum.Points = append(sum.Points, pointRecord{Name: r.Point, Files: r.Inputs, Packets: st.Packets, Bytes: st.Bytes,
			TruncatedPackets: st.Truncated, UnsupportedLink: st.Unsupported, Fragments: st.Fragments,
			DroppedFlows: r.Dropped.Flows, DroppedExpected: r.Dropped.Expectations, DroppedTransfers: r.Dropped.Transfers,
			LongLines: r.Dropped.LongLines, ReassemblyForced: r.Dropped.ReassemblyForced, Start: ts(r.Start), End: ts(r.End)})
	}
	return sum
}
