// Package ladder builds the ladder diagram of an FTP session, seen at one
// capture point (Build) or at several along a path (BuildPath), from the
// analysis and the diagnosis, and renders it as text for a terminal
// (WriteText) or as SVG (WriteSVG); Ladders picks the sessions to draw.
//
// Where the diagnosis has concluded something, the ladder draws that
// conclusion rather than working it out again: the NAT in sight and who
// answered each data connection come from diagnose.Facts and
// SessionFacts.AnswerFor; along a path, where each packet stopped being
// seen and what each box did to a negotiation come from analyze.Path.
package ladder

import (
	"strconv"
	"time"
)

// A Ladder is one FTP session drawn as a sequence diagram, the way an
// engineer sketches a failed transfer on a whiteboard: a column per
// endpoint (the client, the NAT or firewall between when the capture shows
// one, the server) and a row per event in time order. The control
// dialogue, each negotiation with its advertised address, each data
// connection with its outcome, and each finding at the moment it happened
// are rows. Drawn from several capture points (BuildPath), each point is a
// column between the client and the server, where it sits on the path; a
// packet that stopped being seen ends between two of them, and what a box
// between two points did to a negotiation stands between their columns.
//
// A Ladder is plain data built from analyze's results (Build, BuildPath);
// the text and SVG renderers only draw it. Every string in it that came
// off the wire has already been through term.Clean: renderers still escape
// it for their own format (HTML, SVG).
type Ladder struct {
	// Session is the session's ID ("S1"; along a path, its ID at each
	// point when they differ: "client-lan S1 ↔ server-lan S2") and Title
	// says what it is: client, server, capture point(s).
	Session string
	Title   string
	Start   time.Time // Row.At is measured from here
	Columns []Column
	Rows    []Row
	// Notes are lines under the title: where the capture point sits, how
	// many lines were left out, gaps in the control stream.
	Notes []string
}

// ColumnRole is what a ladder column stands for.
type ColumnRole string

// Column roles.
const (
	RoleClient   ColumnRole = "client"
	RoleNAT      ColumnRole = "nat"      // a router that translates addresses
	RoleFirewall ColumnRole = "firewall" // something on the path that drops or rejects
	RolePoint    ColumnRole = "point"    // a capture point along the path (BuildPath): what crosses it was seen there
	RoleServer   ColumnRole = "server"
)

// Column is one endpoint of the ladder.
type Column struct {
	Role ColumnRole
	Name string   // heading: "client", "NAT", "firewall", the capture point's name, "server"
	Addr []string // the addresses it is seen with, first the main one
}

// RowKind is what a ladder row shows.
type RowKind string

// Row kinds.
const (
	RowCommand     RowKind = "command"     // a control command (client to server)
	RowReply       RowKind = "reply"       // a control reply (server to client)
	RowNegotiation RowKind = "negotiation" // the command or reply carrying the data address: highlighted
	RowData        RowKind = "data"        // a data connection, initiator to acceptor
	RowRewrite     RowKind = "rewrite"     // what a box between two capture points did to a negotiation's line
	RowFinding     RowKind = "finding"     // a diagnosed cause, where and when it happened
	RowNote        RowKind = "note"        // TLS started, a gap in the capture, lines left out
)

// Row is one event of the ladder.
//
// Commands, replies, negotiations and data connections are arrows from
// From to To. Findings, rewrites and notes (and a data row with From ==
// To: a connection never attempted) are boxes: they stand on column From,
// or midway between From and To when those differ (between two capture
// points, where the box that did it sits).
type Row struct {
	Kind RowKind
	At   time.Duration // since Ladder.Start
	// From and To are column indexes: the arrow's tail and head.
	From, To int
	// Stop, when not -1, is the column where the arrow ends short of To:
	// the packet died there (a dropped SYN, a SYN to a private address).
	// Stop == To: it reached the acceptor's side and died there,
	// unanswered. With StopBeyond, Stop is the last capture point that saw
	// the packet, and the arrow ends midway between it and the next column
	// towards To (the next point, which never saw it, or the end host).
	Stop       int
	StopBeyond bool
	// FromBeyond: the arrow starts midway between From and the column
	// beyond it, away from To: an answer (a reset, an ICMP error) sent by
	// whatever lies between two capture points, where a packet died.
	FromBeyond bool
	// Label is the text on the arrow (the command or reply line, "SYN
	// 203.0.113.10:20 → 10.1.0.2:50000"); Detail is a second, smaller line
	// (the outcome: "established, 204,800 B in 1.20 s"; "no answer: SYN
	// resent at +1.0 s, +3.0 s"; "ICMP port unreachable from 10.0.0.1").
	Label  string
	Detail string
	// Severity colours the row: "", "info", "warning" or "error".
	Severity string
	// Code is the finding code (RowFinding) or the box's verdict
	// (RowRewrite: rewritten, not-rewritten, ...).
	Code string
	// Point, File and Frame are the evidence: where to look in Wireshark.
	Point string
	File  string
	Frame uint64
	// Seen are the frames of the row's packet at every capture point that
	// saw it, in path order, each with its point: "client-lan#13" (path
	// ladders only).
	Seen []string
}

// FrameLabel names a frame with its capture point: "client-lan#13".
func FrameLabel(point string, frame uint64) string {
	return point + "#" + strconv.FormatUint(frame, 10)
}
