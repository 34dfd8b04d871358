package ftp

import (
	"slices"
	"strings"
)

// MaxReplyLines is the most lines a ReplyReader holds for one multi-line
// reply; when a reply reaches it without its end line, the reader closes it
// by force. The longest legitimate multi-line replies are HELP and FEAT
// lists (tens of lines) and STAT of a directory, which lists the directory
// on the control connection (RFC 959 section 4.1.3) and can be long; a
// thousand lines covers them. The limit exists for servers that never send
// the end line (the "230-" closed by "226" that Zeek's main.zeek
// documents) and for non-FTP streams: it caps one reply at
// MaxReplyLines*MaxLineLength bytes (8 MB) and hands the lines after it
// back to ordinary parsing.
const MaxReplyLines = 1000

// ReplyLine is one server line.
type ReplyLine struct {
	Code int  // 100 to 699
	Sep  byte // ' ' or '-' after the code, or 0 when the line is the code alone
	Text string
}

// ParseReplyLine parses one server line, given without its line end: three
// digits, the first from 1 to 6, then a space, a hyphen or the end of the
// line. Anything else ("22 ok", "2200 x", "abc", "220\tx") is a
// *ProtocolError. RFC 959 defines codes 1yz to 5yz; RFC 2228 adds the 6yz
// protected replies (631, 632, 633), which carry base64 tokens.
//
// Text is everything after the separator, unchanged. It is a copy and
// allocates once when not empty.
func ParseReplyLine(line []byte) (ReplyLine, error) {
	code, sep, err := replyCode(line)
	if err != nil {
		return ReplyLine{}, err
	}
	var text string
	if len(line) > 4 {
		text = string(line[4:])
	}
	return ReplyLine{Code: code, Sep: sep, Text: text}, nil
}

// replyCode checks the code and separator of a reply line.
func replyCode[T string | []byte](line T) (code int, sep byte, err error) {
	switch {
	case len(line) < 3 || !isDigit(line[0]) || !isDigit(line[1]) || !isDigit(line[2]):
		return 0, 0, &ProtocolError{What: "reply: line does not start with a three-digit code", Input: string(line)}
	case line[0] < '1' || line[0] > '6':
		return 0, 0, &ProtocolError{What: "reply: code out of range", Input: string(line)}
	case len(line) > 3 && line[3] != ' ' && line[3] != '-':
		return 0, 0, &ProtocolError{What: "reply: code not followed by a space or a hyphen", Input: string(line)}
	}
	if len(line) > 3 {
		sep = line[3]
	}
	return int(line[0]-'0')*100 + int(line[1]-'0')*10 + int(line[2]-'0'), sep, nil
}

// Reply is a complete reply, of one line or more.
type Reply struct {
	Code int
	// Lines holds every line of the reply as sent, first and last
	// included, codes and separators included.
	Lines []string
	// Forced reports that the reply did not end with its end line: it was
	// closed by MaxReplyLines or by Flush.
	Forced bool
}

// Text returns the text of the first line after the code and its
// separator. For a multi-line reply this is only the opening line; the rest
// is in Lines, and Message joins it all. Servers put the reply's gist on
// either line ("227-" openers are rare; "230-" banners put it last), so
// callers that search for something should search every line.
func (r Reply) Text() string {
	if len(r.Lines) == 0 || len(r.Lines[0]) <= 4 {
		return ""
	}
	return r.Lines[0][4:]
}

// Message returns the text of every line, joined with "\n", as
// net/textproto does: the code and separator are removed from lines that
// start with the reply's code followed by a space or a hyphen, and other
// lines are kept whole.
func (r Reply) Message() string {
	if len(r.Lines) == 1 {
		return r.Text()
	}
	var b strings.Builder
	for i, l := range r.Lines {
		if i > 0 {
			b.WriteByte('\n')
		}
		if len(l) >= 4 && (l[3] == ' ' || l[3] == '-') && hasCode(l, r.Code) {
			l = l[4:]
		} else if len(l) == 3 && hasCode(l, r.Code) {
			l = ""
		}
		b.WriteString(l)
	}
	return b.String()
}

// Err returns a *ReplyError for a 4yz or 5yz reply and nil otherwise.
func (r Reply) Err() error {
	if r.Code < 400 || r.Code > 599 {
		return nil
	}
	return &ReplyError{Code: r.Code, Text: r.Message()}
}

// hasCode reports whether s starts with the three digits of code.
func hasCode[T string | []byte](s T, code int) bool {
	return len(s) >= 3 &&
		int(s[0])-'0' == code/100 && int(s[1])-'0' == code/10%10 && int(s[2])-'0' == code%10
}

// ReplyReader assembles replies from server lines following RFC 959 section
// 4.2. A line "NNN text" (or "NNN") is a reply by itself. A line "NNN-text"
// opens a multi-line reply, which ends at the first later line that starts
// with the same code followed by a space or by the end of the line; the lines
// in between may be anything, including lines that start with spaces, with
// other codes ("123 foo", "211-") or with the same code and a hyphen.
// Replies do not nest.
//
// A line that is not a reply line while no multi-line reply is open is
// returned by Feed as a *ProtocolError; the reader stays usable and starts
// afresh with the next line.
//
// A server that opens "230-" and ends with "226 " instead of "230 " (a
// quirk Zeek's main.zeek documents and works around with a guess) leaves
// the reply open here: ReplyReader does not guess. The following lines
// become part of that reply until a "230 " line arrives or the reply
// reaches MaxReplyLines, when it is closed by force and marked Forced; the
// caller can see the open reply with Pending and close it with Flush (at
// the end of the connection, for example).
//
// The zero value is ready to use. A ReplyReader keeps only the lines of the
// reply in progress (and, after FeedString, those of the last reply).
type ReplyReader struct {
	code  int
	lines []string // the open multi-line reply, nil when none is open
	// buf is the array FeedString assembles replies in, reused: a reply
	// of one line, the most common by far, costs no allocation.
	buf []string
}

// Feed takes one server line, without its line end (see CleanLine). It
// returns (reply, true, nil) when the line completes a reply, (Reply{},
// false, nil) when more lines are needed, and a *ProtocolError when the
// line is not a reply line and no multi-line reply is open. Feed copies
// the line, so it may be reused.
func (rr *ReplyReader) Feed(line []byte) (Reply, bool, error) {
	r, done, err := rr.FeedString(string(line))
	if done {
		r.Lines = slices.Clone(r.Lines) // the caller's own, as it always was
	}
	return r, done, err
}

// FeedString is Feed for a line the caller already holds as a string: the
// reply's lines are that string, not copies, so a caller that keeps the
// line too pays for one string per line, not two. The returned Reply's
// Lines slice is the reader's, valid until the next FeedString or Flush
// (the strings in it stay valid): copy it to keep it.
func (rr *ReplyReader) FeedString(s string) (Reply, bool, error) {
	if rr.lines == nil {
		code, sep, err := replyCode(s)
		if err != nil {
			return Reply{}, false, err
		}
		rr.buf = append(rr.buf[:0], s)
		if sep == '-' {
			rr.code = code
			rr.lines = rr.buf
			return Reply{}, false, nil
		}
		return Reply{Code: code, Lines: rr.buf[:1:1]}, true, nil
	}
	rr.lines = append(rr.lines, s)
	if hasCode(s, rr.code) && (len(s) == 3 || s[3] == ' ') {
		return rr.take(false), true, nil
	}
	if len(rr.lines) >= MaxReplyLines {
		return rr.take(true), true, nil
	}
	return Reply{}, false, nil
}

// Pending reports whether a multi-line reply is open.
func (rr *ReplyReader) Pending() bool { return rr.lines != nil }

// PendingCode is the code of the open multi-line reply (0 when none is).
func (rr *ReplyReader) PendingCode() int {
	if rr.lines == nil {
		return 0
	}
	return rr.code
}

// Flush returns the open multi-line reply, marked Forced, and resets the
// reader. It returns false when no reply is open.
func (rr *ReplyReader) Flush() (Reply, bool) {
	if rr.lines == nil {
		return Reply{}, false
	}
	return rr.take(true), true
}

func (rr *ReplyReader) take(forced bool) Reply {
	r := Reply{Code: rr.code, Lines: rr.lines[:len(rr.lines):len(rr.lines)], Forced: forced}
	rr.code, rr.buf, rr.lines = 0, rr.lines[:0], nil
	return r
}
