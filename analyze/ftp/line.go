package ftp

import "bytes"

// MaxLineLength is the longest control line, in bytes without the line end,
// that a caller should keep; beyond it the line should be cut and the cut
// reported. RFC 959 sets no limit. Suricata's default is 4096 and Zeek cuts
// arguments at 4096; twice that still holds a 4096-byte path name (PATH_MAX on
// Linux) with its verb, and the base64 tokens of RFC 2228 security
// exchanges (an ADAT line in zeek/globus-url-copy is 2765 bytes).
// It bounds what one line can cost: MaxReplyLines lines of this length are
// the most a ReplyReader holds.
const MaxLineLength = 8192

// Telnet command bytes (RFC 854, RFC 855) that CleanLine recognises.
const (
	telnetSE   = 240 // end of subnegotiation
	telnetSB   = 250 // start of subnegotiation (RFC 855)
	telnetWILL = 251
	telnetWONT = 252
	telnetDO   = 253
	telnetDONT = 254
	telnetIAC  = 255 // "interpret as command"
)

// CleanLine removes Telnet artefacts from one control line and appends the
// result to dst, which it returns; pass dst[:0] to reuse a buffer. The line
// must already be split at LF with the LF removed. CleanLine removes:
//
//   - every CR: the one that ends the line, and any other (a bare CR has
//     no meaning inside an FTP line);
//   - a NUL that follows a CR ("CR NUL", RFC 854; RFC 2640 section 3.1
//     uses it to put a CR into a path name, which a line cannot hold);
//   - any LF (the caller should not pass one);
//   - IAC WILL, WONT, DO or DONT and the option byte after it;
//   - IAC SB up to and including IAC SE; without IAC SE, up to the end of
//     the line;
//   - IAC followed by any other byte (IP, DM, AYT, NOP, ... and stray bytes):
//     both bytes;
//   - a lone IAC at the end of the line.
//
// IAC IAC becomes one 0xFF byte of data. Telnet sequences are recognised
// before CR handling, as Telnet sits below the NVT line conventions. Other
// bytes, NUL included, are kept, so the output is never longer than the
// line.
func CleanLine(dst, line []byte) []byte {
	// Most lines have nothing to remove but the CR that ends them: found
	// so by three vectorised scans, copied at once.
	if cr := bytes.IndexByte(line, '\r'); (cr < 0 || cr == len(line)-1) &&
		bytes.IndexByte(line, telnetIAC) < 0 && bytes.IndexByte(line, '\n') < 0 {
		if cr >= 0 {
			line = line[:cr]
		}
		return append(dst, line...)
	}
	// Otherwise the bytes between those it removes are copied a run at a
	// time.
	run := 0
	for i := 0; i < len(line); i++ {
		c := line[i]
		if c != '\r' && c != '\n' && c != telnetIAC {
			continue
		}
		dst = append(dst, line[run:i]...)
		switch c {
		case '\r':
			if i+1 < len(line) && line[i+1] == 0 {
				i++
			}
		case telnetIAC:
			i++
			if i >= len(line) {
				return dst
			}
			switch line[i] {
			case telnetIAC:
				dst = append(dst, telnetIAC)
			case telnetWILL, telnetWONT, telnetDO, telnetDONT:
				i++ // the option byte, if the line still has one
			case telnetSB:
				i = skipSubnegotiation(line, i+1)
			}
		}
		run = min(i+1, len(line))
	}
	return append(dst, line[run:]...)
}

// skipSubnegotiation returns the index of the SE that ends the
// subnegotiation whose data starts at line[i], or len(line)-1 when the line
// ends first. Inside, IAC IAC is data and does not end it.
func skipSubnegotiation(line []byte, i int) int {
	for ; i < len(line); i++ {
		if line[i] != telnetIAC {
			continue
		}
		i++
		if i < len(line) && line[i] == telnetSE {
			return i
		}
	}
	return len(line) - 1
}
