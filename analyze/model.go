// Package analyze turns the packets of one capture point into FTP sessions,
// their data-connection negotiations, the data connections actually seen on
// the wire, and the transfers that used them.
//
// An Analyzer is fed decoded packets in capture order. Control connections
// (port 21, the ports the user names, or any port where a server greeting
// is answered by USER or AUTH) are reassembled and parsed line by line;
// every other TCP segment costs one lookup in the flow table, and SYNs one
// more in the table of expected data connections. Result returns what was
// found, as plain data for report/ to format.
package analyze

import (
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// Ref points at one frame of the capture, so every claim can be checked in
// Wireshark (frame.number == Frame in the input file).
type Ref struct {
	Input int    // index into Result.Inputs
	Frame uint64 // 1-based, per input, as Wireshark counts
	Time  Stamp
}

// Valid reports whether the Ref points at a frame.
func (r Ref) Valid() bool { return r.Frame != 0 }

// Mode is how a data connection is opened.
type Mode string

// Modes, as the contract names them.
const (
	Active          Mode = "active"           // PORT (and LPRT)
	Passive         Mode = "passive"          // PASV (and LPSV)
	ExtendedActive  Mode = "extended-active"  // EPRT
	ExtendedPassive Mode = "extended-passive" // EPSV
)

// IsPassive reports whether the client opens the data connection.
func (m Mode) IsPassive() bool { return m == Passive || m == ExtendedPassive }

// DataState is what became of a data connection.
type DataState string

// Data connection states, as the contract names them.
const (
	Established  DataState = "established"   // SYN answered by SYN-ACK
	NoAnswer     DataState = "no-answer"     // SYN never answered
	Refused      DataState = "refused"       // SYN answered by RST
	Unreachable  DataState = "unreachable"   // ICMP unreachable quoting the SYN
	NotAttempted DataState = "not-attempted" // no SYN seen at this capture point
	// NotCaptured: no SYN seen at this capture point, while the server's
	// replies (125/150, then 226/250) show the transfer happened: the
	// capture does not hold its data connection (filtered, or taken
	// elsewhere).
	NotCaptured DataState = "not-captured"
)

// Reply is a server reply as the analysis keeps it.
type Reply struct {
	Code  int
	Text  string // first line's text, after the code
	Lines int    // number of lines (multi-line replies)
	At    Ref    // frame holding the reply's first line
}

// String is the reply as "code text", or "" when there was none.
func (r Reply) String() string {
	if r.Code == 0 {
		return ""
	}
	return CodeText(r.Code, r.Text)
}

// CodeText is fmt.Sprintf("%d %s", code, text) in one allocation: reports
// and findings write a reply this way for every transfer.
func CodeText(code int, text string) string {
	var b strings.Builder
	b.Grow(4 + len(text))
	var d [20]byte
	b.Write(strconv.AppendInt(d[:0], int64(code), 10))
	b.WriteByte(' ')
	b.WriteString(text)
	return b.String()
}

// Negotiation is one PORT, EPRT, LPRT, PASV, EPSV or LPSV exchange.
type Negotiation struct {
	Mode      Mode
	Command   string // PORT, EPRT, LPRT, PASV, EPSV, LPSV
	Arg       string // the command's argument as sent
	CommandAt Ref
	// CommandSeq and ReplySeq are the TCP sequence numbers of the command
	// line and of the reply (for comparing captures across a NAT).
	CommandSeq, ReplySeq uint32
	// NextSeq is the raw sequence number of the client's first segment
	// after an active negotiation's line.
	NextSeq uint32
	// SplitAt is the frame that completed the command's line when it came
	// in more than one segment (ALGs miss such commands).
	SplitAt Ref
	// CommandAcked is the frame of the server's first ACK covering the
	// command (zero: never seen acknowledged).
	CommandAcked Ref
	// CommandResent counts the client's segments that resent part of the
	// command line before it was complete (a NAT's helper dropping part of
	// a split command makes the client resend it), the last at LastResend.
	CommandResent int
	LastResend    Ref
	Reply         Reply          // the server's answer (Code 0: none seen)
	Address       netip.AddrPort // advertised endpoint; for EPSV the server's control address with the 229 port
	// ParseError is set when the line carrying the address could not be
	// parsed (the address is then invalid): reported, never skipped.
	ParseError string
	// At is the frame carrying the address: the command for PORT/EPRT/LPRT,
	// the reply for PASV/EPSV/LPSV.
	At Ref

	// Inferred is set when the negotiation itself was not visible and is
	// inferred from a data connection between the session's hosts:
	// "tls-host-pair" (encrypted control channel) or "port-20" (active-mode
	// data from the server's port 20, its negotiation not captured).
	Inferred string

	// Data is the data connection that matched this negotiation; when
	// several did (a client retrying), the established one, else the last.
	Data *DataConn
	// Others are the other connections that matched it.
	Others []*DataConn

	transfer   *Transfer
	session    *Session
	foreign    int    // connections from hosts other than the expected one
	commandEnd uint32 // sequence number just past the command line
}

// Line is the line that carries the negotiation's address: the command
// for active modes, the reply for passive ones.
func (n *Negotiation) Line() string {
	if n.Mode.IsPassive() {
		return n.Reply.String()
	}
	return strings.TrimSpace(n.Command + " " + n.Arg)
}

// Accepted reports whether the server accepted the negotiation.
func (n *Negotiation) Accepted() bool {
	return n.Reply.Code >= 200 && n.Reply.Code < 300 && n.ParseError == ""
}

// Opening is what happened to a TCP connection's SYN at this capture
// point: the SYN, its retransmissions, and the answer, each with the TTL
// (hop limit) it crossed this point with, which says how many routers away
// its sender is (HopsFromTTL).
type Opening struct {
	SYN Ref
	// SYNRetries are the retransmissions of the SYN (times from the first),
	// the last at LastSYN.
	SYNRetries []time.Duration
	LastSYN    Ref
	SYNACK     Ref
	RST        Ref  // first RST seen on the connection
	RSTFromAcc bool // the RST came from the acceptor('s address)
	ICMP       Ref  // ICMP unreachable quoting it
	ICMPType   uint8
	ICMPCode   uint8
	ICMPFrom   netip.Addr
	// TTLs of the first SYN, SYN-ACK, RST and ICMP error.
	SYNTTL, SYNACKTTL, RSTTTL, ICMPTTL uint8
}

// DataConn is a data connection seen on the wire.
type DataConn struct {
	Src, Dst  netip.AddrPort // initiator and acceptor
	Initiator string         // "client" or "server" of the control session
	// MatchedBy says how the SYN was tied to its negotiation: "advertised"
	// (to the advertised address), "control-address" (a passive client that
	// used the server's control address with the advertised port, as curl,
	// lftp and FileZilla do), "tls-host-pair" (an encrypted session: matched
	// by the hosts only).
	MatchedBy string
	Opening
	// MidStream: the capture holds the connection without its handshake.
	MidStream bool

	finInit, finAcc bool // a FIN was seen from the initiator / the acceptor
	FIN             Ref  // first FIN
	// Bytes of TCP payload sent by the initiator and by the acceptor, each
	// byte counted once (retransmissions are not counted again).
	BytesFromInitiator, BytesFromAcceptor uint64
	First, Last                           Ref
	// Delivery is each direction's progress against the receiver's
	// acknowledgements: [0] from the initiator, [1] from the acceptor.
	Delivery [2]Delivery
	// FragNeeded is the first ICMP "fragmentation needed" quoting the
	// connection (a router on the way could not forward a segment that
	// large), FragNeededTTL its TTL; zero: none crossed this point.
	FragNeeded    Ref
	FragNeededTTL uint8
	// sent is each direction's next sequence number after the highest byte
	// seen (0: from the initiator, 1: from the acceptor).
	sent     [2]uint32
	sentSeen [2]bool
}

// Delivery is one direction of a data connection against the receiver's
// acknowledgements, in offsets from the direction's first byte: how far the
// receiver got, and the segment the sender kept resending when it stopped
// getting further. Kept in constant space per connection.
type Delivery struct {
	// Acked is the bytes the receiver acknowledged, last moved at AckedAt
	// (the last progress); Acks counts the receiver's ACKs.
	Acked   uint64
	AckedAt Ref
	Acks    int
	// LargestSent is the largest segment payload seen; LargestAcked the
	// largest one the receiver is known to have acknowledged (0: none).
	LargestSent, LargestAcked int
	// Resent is the segment the sender resent most often, at offset
	// ResentOffset, ResentLen bytes long, Resends times (the first resend
	// at ResentFirst, the last at ResentLast), without the receiver's
	// acknowledgement passing it in between.
	ResentOffset uint64
	ResentLen    int
	Resends      int
	ResentFirst  Ref
	ResentLast   Ref
	// Unseen is bytes the sender's sequence numbers show it sent that never
	// crossed this point (an empty segment's sequence number past the last
	// byte seen), first shown at UnseenAt; UnseenEnd is the offset just past
	// them (an acknowledgement past it says the capture missed them).
	Unseen    uint64
	UnseenAt  Ref
	UnseenEnd uint64
	// ResentOriginal is the first send of the resent segment, when this
	// point saw it.
	ResentOriginal Ref

	// The fields below are ordered by size, not by meaning: without
	// padding a Delivery is 296 bytes, not 312, and a DataConn fits the
	// allocator's 1,024-byte class instead of its 1,152-byte one.

	base     uint32 // sequence number of the direction's first byte (started)
	ackSeq   uint32 // the receiver's highest acknowledgement (ackSeen)
	high     uint32 // just past the highest byte seen
	candEnd  uint32 // where cand ends
	curSeq   uint32 // the segment resent since the acknowledgement last moved (curLen, curN, curFirst)
	finNext  uint32 // just past the sender's FIN (finSeen)
	headSeq  uint32 // the first send of the segment at the receiver's acknowledgement (headAt)
	started  bool
	ackSeen  bool
	finSeen  bool
	cand     int // the largest segment not yet known acknowledged, ending at candEnd
	curLen   int
	curN     int
	curFirst Ref
	headAt   Ref
}

// State classifies an opening: answered by SYN-ACK, by a reset from the
// acceptor, by ICMP, or by nothing (NotAttempted when no SYN was seen).
func (o *Opening) State() DataState {
	switch {
	case o.SYNACK.Valid():
		return Established
	case o.RST.Valid() && o.RSTFromAcc:
		return Refused
	case o.ICMP.Valid():
		return Unreachable
	case o.RST.Valid():
		return Refused
	case !o.SYN.Valid():
		return NotAttempted
	}
	return NoAnswer
}

// State classifies the connection.
func (d *DataConn) State() DataState {
	switch {
	case d == nil:
		return NotAttempted
	case d.SYNACK.Valid(), d.MidStream && !d.RST.Valid():
		return Established
	case d.RST.Valid() && d.RSTFromAcc:
		return Refused
	case d.ICMP.Valid():
		return Unreachable
	case d.RST.Valid():
		return Refused
	}
	return NoAnswer
}

// closed reports whether the connection ended: reset, or FIN both ways.
func (d *DataConn) closed() bool { return d.RST.Valid() || d.finInit && d.finAcc }

// Bytes is the payload carried both ways.
func (d *DataConn) Bytes() uint64 { return d.BytesFromInitiator + d.BytesFromAcceptor }

// Transfer is one use of the data channel: the data-opening command (RETR,
// STOR, STOU, APPE, LIST, NLST, MLSD), its negotiation, the data connection
// and the replies. A negotiation that no command used is a Transfer with an
// empty Command.
type Transfer struct {
	ID          string
	Command     string
	Arg         string
	CommandAt   Ref
	Negotiation *Negotiation // nil: no negotiation preceded the command
	Prelim      Reply        // 125/150
	Final       Reply        // 226/250/425/426/451/5xx...
	// CommandAcked is the frame of the server's first ACK covering the
	// command (zero: never seen acknowledged).
	CommandAcked Ref
	// Superseded: the server refused the command before any data
	// connection, and its negotiation, still in effect (RFC 959), served
	// the next transfer command: the data connection is that one's.
	Superseded bool
}

// Data returns the data connection, if one was seen.
func (t *Transfer) Data() *DataConn {
	if t.Negotiation == nil || t.Superseded {
		return nil
	}
	return t.Negotiation.Data
}

// DataState is what became of the transfer's data connection as this
// capture point saw it: its connection's state, or, with none seen,
// NotCaptured when the server's replies say the data moved, else
// NotAttempted.
func (t *Transfer) DataState() DataState {
	if dc := t.Data(); dc != nil {
		return dc.State()
	}
	if (t.Prelim.Code == 125 || t.Prelim.Code == 150) && (t.Final.Code == 226 || t.Final.Code == 250) {
		return NotCaptured
	}
	return NotAttempted
}

// Mode returns the negotiation's mode ("" without negotiation).
func (t *Transfer) Mode() Mode {
	if t.Negotiation == nil {
		return ""
	}
	return t.Negotiation.Mode
}

// Session is one FTP control connection and what happened on it.
type Session struct {
	ID             string
	Client, Server netip.AddrPort
	Start, End     time.Time
	First          Ref
	// MidStream: the capture began after the connection was set up (no SYN).
	MidStream bool
	// DetectedBy: "port" (21 or --ports), "greeting" (content), "implicit-tls" (990).
	DetectedBy string
	Greeting   Reply
	User       string
	Password   string // redacted unless the analysis was asked to keep it
	PasswordAt Ref    // the PASS command (seen in clear text)
	// TTLs of the first packets from each side, and the capture side
	// inferred from them (see InferSide).
	ClientTTL, ServerTTL uint8
	Side                 Side
	SideWhy              string
	LoggedIn             bool
	// TLS: the control channel is encrypted (AUTH TLS/SSL answered 234, or
	// implicit FTPS); TLSAt is the 234 reply (or the first frame).
	TLS      bool
	TLSAt    Ref
	TLSEnded bool // clear text came back (CCC)
	Commands int
	Replies  int
	// Gaps and MissingBytes: holes in the control stream (lost segments);
	// GapAt is the segment after the first hole the receiver acknowledged
	// (bytes the capture missed), set whenever one was: when the only
	// such holes were acknowledged late and were not their direction's
	// first, the segment after the connection's first hole.
	Gaps         int
	MissingBytes uint64
	GapAt        Ref
	// ProtocolErrors counts lines that were not valid FTP; FirstError is
	// the first of them.
	ProtocolErrors int
	FirstError     string
	FirstErrorAt   Ref
	// LongLines counts lines cut at ftp.MaxLineLength.
	LongLines int
	// Retransmissions and duplicate ACKs on the control connection.
	Retransmissions uint64
	DupAcks         uint64
	Closed          string // "fin", "rst" or "" (open at the end of the capture)
	// ClosedBy says who closed first ("client" or "server"), at ClosedAt.
	ClosedBy string
	ClosedAt Ref
	// Opening is the control connection's own opening, when the capture
	// holds its SYN (not MidStream).
	Opening Opening
	// ClientISN and ServerISN are each side's first sequence number seen
	// (the SYN's, when captured): one connection captured at two places
	// has the same numbers at both.
	ClientISN, ServerISN uint32
	// Twin is this same TCP connection seen in the capture with another
	// address pair (the same client SYN, before and after a NAT: a capture
	// on a router, or of both its links in one file). A session let go
	// (Options.OnSessionDone) before its twin's SYN was seen keeps Twin
	// nil: once let go it is not changed; its twin still names it.
	Twin *Session
	// Stalls are bytes one side sent (and resent) that the other never
	// acknowledged, as far as the capture shows: at most one per direction.
	Stalls []Stall
	// SeqMismatches are the two ends disagreeing about how many bytes one
	// side sent: that side's segments carry sequence numbers below what the
	// other end had already acknowledged of it (at most one per direction).
	SeqMismatches []SeqMismatch
	// UnackedGaps and UnackedBytes count the holes (of Gaps, MissingBytes)
	// that no acknowledgement in the capture passed: bytes the receiver
	// never got as far as the capture shows. The rest the capture missed.
	UnackedGaps  int
	UnackedBytes uint64
	// SnapCut counts the control segments the snap length cut (their
	// payload is partly missing from the capture, making holes of its
	// own); SnapCutAt is the first.
	SnapCut   int
	SnapCutAt Ref
	// Lost are the first unacknowledged hole of each direction.
	Lost []Hole
	// Rewrites are bytes seen twice with different content: a box between
	// the sender and this point changed them between the two copies.
	Rewrites []Rewrite
	// QuietFrom and QuietTo bound the longest silence on the control
	// connection: no packet either way after QuietFrom until QuietTo (both
	// zero: fewer than two packets). A NAT or firewall forgets a
	// connection silent for longer than its idle timeout.
	QuietFrom, QuietTo Ref
	// LastFromClient and LastFromServer are each side's last packet.
	LastFromClient, LastFromServer Ref
	// Reset is the first RST on the control connection, ResetTTL its TTL
	// (hop limit) and ResetFromClient whether it carried the client's
	// address: its TTL against ClientTTL or ServerTTL says whether that
	// host or a box nearer to this point sent it.
	Reset           Ref
	ResetTTL        uint8
	ResetFromClient bool
	// Closing is a 421 the server sent that answers no command: an idle
	// timeout or a shutdown (Code 0: none).
	Closing Reply
	// Unanswered are the commands still waiting for a reply when the
	// session ended.
	Unanswered []Command
	// Logins are the login attempts answered (PASS, or USER answered
	// 230/530), at most MaxLoginsPerSession.
	Logins    []Login
	Transfers []*Transfer
	// DroppedTransfers counts transfers not kept past MaxTransfersPerSession.
	DroppedTransfers int
	// UnmatchedData counts data connections tied to this session only by
	// host pair (encrypted control channel).
	Negotiations []*Negotiation
	Lines        []Line // the control dialogue, up to MaxLinesPerSession
	DroppedLines int

	// released: handed to Options.OnSessionDone, which may read it on
	// another goroutine from then on; nothing changes it any more.
	released bool
	// quiet is QuietTo less QuietFrom.
	quiet time.Duration
}

// Stall is data one side sent on the control connection that the other
// never acknowledged, though it was retransmitted: lost between this point
// and the receiver (or a receiver that stopped reading).
type Stall struct {
	FromClient bool
	// Seq is the first unacknowledged byte, Bytes how many followed it.
	Seq   uint32
	Bytes int
	// First is the frame that first sent the oldest unacknowledged byte,
	// Last the last retransmission; Retransmissions counts the segments
	// that resent unacknowledged bytes.
	First, Last     Ref
	Retransmissions int
	// AckedTo is the receiver's highest acknowledgement, at AckAt.
	AckedTo uint32
	AckAt   Ref
	// Text is what the unacknowledged bytes said, when they were lines the
	// capture holds (up to the first few).
	Text string
}

// SeqMismatch is one side's segments falling behind the other end's
// acknowledgement of that side: a TCP stack never sends a pure ACK, or new
// bytes, below what its peer acknowledged, so the two ends count that
// side's bytes differently. A box that changed a line's length without
// shifting the later sequence numbers does this (a keepalive or window
// probe, one byte below, does not count).
type SeqMismatch struct {
	FromClient bool // the side whose sequence numbers fell behind
	// At is the side's first segment behind: its sequence number Seq is
	// Behind bytes below Acked, the other end's acknowledgement, first
	// made at AckAt.
	At         Ref
	Seq, Acked uint32
	Behind     int
	AckAt      Ref
	// SentEnd is just past the highest byte this point saw the side send
	// before At; Unseen is how many of the acknowledged bytes lie past it
	// (acknowledged, never seen sent: 0 when the point saw them all).
	SentEnd uint32
	Unseen  int
	// Segments counts the side's segments behind the acknowledgement;
	// Overlap is the first of them that carried new bytes (a line starting
	// inside bytes already acknowledged), if any.
	Segments int
	Overlap  Ref
}

// Hole is bytes missing from one direction of the control stream that the
// receiver never acknowledged in the capture.
type Hole struct {
	FromClient bool
	Seq        uint32 // the first missing byte
	Bytes      int
	// After is the segment that followed the hole; Text what it said, up
	// to its line end (cleaned, at most a line's start): the tail of the
	// line the hole cut, when it cut one.
	After Ref
	Text  string
	// ReceiverAlive: the receiver acknowledged something after the hole
	// crossed this point (and still not the hole), or stayed silent for
	// Silence, long past any acknowledgement timer, while the capture went
	// on: either way it did not get the bytes. False: the capture ends too
	// soon to tell.
	ReceiverAlive bool
	Silence       time.Duration
}

// Rewrite is a range of one direction's bytes seen twice with different
// content (a retransmission or overlap that is not a copy): proof that a
// box between the sender and this point rewrote the bytes.
type Rewrite struct {
	FromClient bool
	Seq        uint32
	// Kept is the copy the reassembly delivered (the earlier one), Other
	// the differing copy, both cleaned text from a little before the first
	// difference; KeptAt (when known) and OtherAt are their frames.
	Kept, Other     string
	KeptAt, OtherAt Ref
}

// Command is one command as sent: its verb, argument (secrets redacted),
// frame, and the frame where the server first acknowledged its bytes.
type Command struct {
	Verb, Arg string
	At        Ref
	Acked     Ref // the server's ACK covering the command (zero: never seen)
}

// Login is one login attempt and the server's answer.
type Login struct {
	User  string
	At    Ref // the PASS (or USER) command
	Reply Reply
}

// MaxLoginsPerSession bounds the login attempts kept per session.
const MaxLoginsPerSession = 32

// Line is one line of the control dialogue, kept for reports.
type Line struct {
	Text       string // command (PASS argument redacted) or reply line
	At         Ref
	Seq        uint32 // TCP sequence number of the line's first byte
	FromClient bool   // (after Seq: 64 bytes a line, not 72)
}
