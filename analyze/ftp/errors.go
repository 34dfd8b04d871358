package ftp

import (
	"fmt"
	"strconv"
)

// ProtocolError reports that the peer sent something that is not valid FTP:
// a line that is neither a command nor a reply, or a malformed address.
type ProtocolError struct {
	What  string // what is wrong, e.g. "PORT: number out of range"
	Input string // the offending input, whole (Error shortens it)
}

// errorInputMax is how many bytes of the input Error quotes: enough to
// recognise a command or a reply, short enough for one log line.
const errorInputMax = 60

// Error returns "ftp: " + What + ": " and the input quoted with Go syntax,
// cut to errorInputMax bytes and followed by "..." when it was longer.
func (e *ProtocolError) Error() string {
	in, more := e.Input, ""
	if len(in) > errorInputMax {
		in, more = in[:errorInputMax], "..."
	}
	return "ftp: " + e.What + ": " + strconv.Quote(in) + more
}

// protocolError returns a *ProtocolError for an input given as a string;
// it does not copy the string.
func protocolError(what, input string) error {
	return &ProtocolError{What: what, Input: input}
}

// ReplyError reports that the server answered with a well-formed refusal: a
// reply whose code is 4yz (transient) or 5yz (permanent).
type ReplyError struct {
	Code int    // the reply code, 400 to 599
	Text string // the text of the reply (see Reply.Message)
}

// Error returns the code in three digits, a space and the text, as the
// server sent it: "550 No such file.".
func (e *ReplyError) Error() string {
	return fmt.Sprintf("%03d %s", e.Code, e.Text)
}
