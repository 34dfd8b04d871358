package report

import (
	"io"
	"math"
	"strconv"
	"unicode/utf8"
)

// The records a JSON report writes per session (session, transfer,
// finding) are appended by hand, byte for byte what encoding/json writes
// for them with SetEscapeHTML(false) (TestAppendJSONMatchesEncodingJSON):
// on a busy FTP server's link, encoding them by reflection was a sixth of
// the run. The rarer records (summary, points, ALG) still go through
// encoding/json.

// recordLines writes records as JSON Lines from one reused buffer.
type recordLines struct {
	w io.Writer
	b []byte
}

// write writes rec, appended to l.b[:0] (rec.appendJSON(l.b)), as a line.
func (l *recordLines) write(rec []byte) error {
	l.b = append(rec, '\n')
	_, err := l.w.Write(l.b)
	l.b = l.b[:0]
	return err
}

// jsonObject appends one JSON object's members.
type jsonObject struct {
	b    []byte
	more bool // a member was appended: the next needs a comma
}

func beginObject(b []byte) jsonObject { return jsonObject{b: append(b, '{')} }

func (o *jsonObject) end() []byte { return append(o.b, '}') }

func (o *jsonObject) key(k string) {
	if o.more {
		o.b = append(o.b, ',')
	}
	o.more = true
	o.b = append(o.b, '"')
	o.b = append(o.b, k...)
	o.b = append(o.b, '"', ':')
}

func (o *jsonObject) str(k, v string) {
	o.key(k)
	o.b = appendJSONString(o.b, v)
}

// strOmit is str for a field tagged omitempty.
func (o *jsonObject) strOmit(k, v string) {
	if v != "" {
		o.str(k, v)
	}
}

func (o *jsonObject) uint(k string, v uint64) {
	o.key(k)
	o.b = strconv.AppendUint(o.b, v, 10)
}

func (o *jsonObject) uintOmit(k string, v uint64) {
	if v != 0 {
		o.uint(k, v)
	}
}

func (o *jsonObject) int(k string, v int) {
	o.key(k)
	o.b = strconv.AppendInt(o.b, int64(v), 10)
}

func (o *jsonObject) intOmit(k string, v int) {
	if v != 0 {
		o.int(k, v)
	}
}

func (o *jsonObject) bool(k string, v bool) {
	o.key(k)
	o.b = strconv.AppendBool(o.b, v)
}

func (o *jsonObject) boolOmit(k string, v bool) {
	if v {
		o.bool(k, v)
	}
}

func (o *jsonObject) floatOmit(k string, v float64) {
	if v != 0 {
		o.key(k)
		o.b = appendJSONFloat(o.b, v)
	}
}

// strings appends a list of strings; nil is null.
func (o *jsonObject) strings(k string, v []string) {
	o.key(k)
	if v == nil {
		o.b = append(o.b, "null"...)
		return
	}
	o.b = append(o.b, '[')
	for i, s := range v {
		if i > 0 {
			o.b = append(o.b, ',')
		}
		o.b = appendJSONString(o.b, s)
	}
	o.b = append(o.b, ']')
}

func (o *jsonObject) stringsOmit(k string, v []string) {
	if len(v) > 0 {
		o.strings(k, v)
	}
}

func (o *jsonObject) null(k string) {
	o.key(k)
	o.b = append(o.b, "null"...)
}

const jsonHex = "0123456789abcdef"

// appendJSONString appends s as a JSON string, escaped as encoding/json
// escapes it without HTML escaping: quote, backslash and control
// characters; invalid UTF-8 as U+FFFD; U+2028 and U+2029.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '\\', '"':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', jsonHex[c>>4], jsonHex[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', jsonHex[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// appendJSONFloat appends a finite f as encoding/json writes a float64
// (ES6 number formatting).
func appendJSONFloat(b []byte, f float64) []byte {
	format := byte('f')
	if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' {
		// e-09 to e-9
		if n := len(b); n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b
}

func (r *sessionRecord) appendJSON(b []byte) []byte {
	o := beginObject(b)
	o.str("type", r.Type)
	o.str("id", r.ID)
	o.str("point", r.Point)
	o.str("client", r.Client)
	o.str("server", r.Server)
	o.str("start", r.Start)
	o.str("end", r.End)
	o.str("user", r.User)
	o.strOmit("password", r.Password)
	o.bool("logged_in", r.LoggedIn)
	o.bool("tls", r.TLS)
	o.uintOmit("tls_frame", r.TLSFrame)
	o.boolOmit("tls_ended", r.TLSEnded)
	o.int("gaps", r.Gaps)
	o.uint("missing_bytes", r.MissingBytes)
	o.int("commands", r.Commands)
	o.int("replies", r.Replies)
	o.int("transfers", r.Transfers)
	o.str("file", r.File)
	o.uint("first_frame", r.FirstFrame)
	o.bool("mid_stream", r.MidStream)
	o.str("detected_by", r.DetectedBy)
	o.strOmit("greeting", r.Greeting)
	o.str("closed", r.Closed)
	o.int("protocol_errors", r.ProtocolErrors)
	o.strOmit("first_error", r.FirstError)
	o.intOmit("long_lines", r.LongLines)
	o.uint("retransmissions", r.Retransmissions)
	o.uint("dup_acks", r.DupAcks)
	o.intOmit("dropped_transfers", r.DroppedTrans)
	o.str("capture_side", r.CaptureSide)
	o.str("capture_side_why", r.CaptureSideWhy)
	return o.end()
}

func (r *negotiationRecord) appendJSON(b []byte) []byte {
	o := beginObject(b)
	o.str("command", r.Command)
	o.strOmit("arg", r.Arg)
	o.int("reply_code", r.ReplyCode)
	o.strOmit("reply_text", r.ReplyText)
	o.str("address", r.Address)
	o.strOmit("parse_error", r.ParseError)
	o.strOmit("inferred", r.Inferred)
	o.str("file", r.File)
	o.uint("frame", r.Frame)
	o.str("time", r.Time)
	o.uintOmit("command_frame", r.CommandFrame)
	o.uintOmit("reply_frame", r.ReplyFrame)
	return o.end()
}

func (r *dataRecord) appendJSON(b []byte) []byte {
	o := beginObject(b)
	o.str("state", r.State)
	o.strOmit("initiator", r.Initiator)
	o.strOmit("src", r.Src)
	o.strOmit("dst", r.Dst)
	o.strOmit("matched_by", r.MatchedBy)
	o.strOmit("file", r.File)
	o.uintOmit("syn_frame", r.SYNFrame)
	o.strOmit("syn_time", r.SYNTime)
	o.stringsOmit("syn_retries", r.SYNRetries)
	o.uintOmit("synack_frame", r.SYNACKFrame)
	o.uintOmit("rst_frame", r.RSTFrame)
	o.uintOmit("icmp_frame", r.ICMPFrame)
	o.strOmit("icmp_from", r.ICMPFrom)
	o.uint("bytes", r.Bytes)
	o.uint("bytes_from_initiator", r.BytesInitiator)
	o.uint("bytes_from_acceptor", r.BytesAcceptor)
	o.uintOmit("first_frame", r.FirstFrame)
	o.uintOmit("last_frame", r.LastFrame)
	o.floatOmit("duration", r.DurationSeconds)
	o.intOmit("other_attempts", r.OtherAttempts)
	o.boolOmit("mid_stream", r.MidStream)
	return o.end()
}

func (r *replyRecord) appendJSON(b []byte) []byte {
	o := beginObject(b)
	o.int("code", r.Code)
	o.str("text", r.Text)
	o.uintOmit("frame", r.Frame)
	o.strOmit("time", r.Time)
	return o.end()
}

func (r *transferRecord) appendJSON(b []byte) []byte {
	o := beginObject(b)
	o.str("type", r.Type)
	o.str("id", r.ID)
	o.str("session", r.Session)
	o.str("point", r.Point)
	o.str("command", r.Command)
	o.str("arg", r.Arg)
	o.uintOmit("command_frame", r.CommandFrame)
	o.str("mode", r.Mode)
	if r.Negotiation == nil {
		o.null("negotiation")
	} else {
		o.key("negotiation")
		o.b = r.Negotiation.appendJSON(o.b)
	}
	o.key("data")
	o.b = r.Data.appendJSON(o.b)
	if r.Prelim != nil {
		o.key("prelim")
		o.b = r.Prelim.appendJSON(o.b)
	}
	if r.Reply == nil {
		o.null("reply")
	} else {
		o.key("reply")
		o.b = r.Reply.appendJSON(o.b)
	}
	return o.end()
}

func (r *evidenceRecord) appendJSON(b []byte) []byte {
	o := beginObject(b)
	o.str("file", r.File)
	o.uint("frame", r.Frame)
	o.str("time", r.Time)
	o.str("point", r.Point)
	o.str("what", r.What)
	return o.end()
}

func (r *findingRecord) appendJSON(b []byte) []byte {
	o := beginObject(b)
	o.str("type", r.Type)
	o.str("code", r.Code)
	o.str("severity", r.Severity)
	o.str("session", r.Session)
	o.strOmit("transfer", r.Transfer)
	o.stringsOmit("transfers", r.Transfers)
	o.str("point", r.Point)
	o.stringsOmit("points", r.Points)
	o.str("summary", r.Summary)
	o.key("evidence")
	if r.Evidence == nil {
		o.b = append(o.b, "null"...)
	} else {
		o.b = append(o.b, '[')
		for i := range r.Evidence {
			if i > 0 {
				o.b = append(o.b, ',')
			}
			o.b = r.Evidence[i].appendJSON(o.b)
		}
		o.b = append(o.b, ']')
	}
	o.str("advice", r.Advice)
	return o.end()
}
