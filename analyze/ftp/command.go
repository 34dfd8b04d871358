package ftp

import "strings"

// MaxVerbLength is the longest verb ParseCommand accepts. RFC 959 verbs have
// three or four letters, and so do those of its extensions; vendor hash
// commands such as XSHA1 and its SHA-2 variants run to five characters and
// more. Sixteen leaves room for those while rejecting the long runs of
// letters that garbage and base64 fragments are made of (Zeek raises
// FTP_max_command_length_exceeded for the same reason).
const MaxVerbLength = 16

// Command is one client request line.
type Command struct {
	// Verb is the command verb, upper-cased: an ASCII letter followed by
	// letters or digits, at most MaxVerbLength of them.
	Verb string
	// Arg is everything after the single space that follows the verb,
	// with any trailing CR and LF removed and nothing else changed: extra
	// leading spaces and trailing spaces stay as sent (a password may
	// contain them, and an ALG may trip on them). Empty when the line is
	// the verb alone.
	Arg string
}

// ParseCommand parses one client line, given without its line end (see
// CleanLine); trailing CR and LF bytes are ignored anyway. The line must start with a verb (an ASCII letter, then
// letters or digits, case-insensitive, at most MaxVerbLength) followed by a
// space or by the end of the line; anything else, an empty line included,
// is a *ProtocolError.
//
// RFC 959 allows only letters in a verb; digits after the first letter are
// accepted too, for the hash commands many servers implement (XSHA1 and its
// SHA-2 variants, MD5 from draft-twine-ftpmd5), which are not protocol
// violations.
//
// The strings of the result are copies, so line may be reused. Verbs in the
// standard and common extension set do not allocate; an Arg allocates once.
func ParseCommand(line []byte) (Command, error) {
	cmd, err := parseCommand(line)
	if err != nil {
		return Command{}, err
	}
	if cmd.known {
		return Command{Verb: cmd.verb, Arg: string(cmd.arg)}, nil
	}
	// One allocation holds both strings.
	up := cmd.up[:cmd.n]
	var b strings.Builder
	b.Grow(len(up) + len(cmd.arg))
	b.Write(up)
	b.Write(cmd.arg)
	s := b.String()
	return Command{Verb: s[:len(up)], Arg: s[len(up):]}, nil
}

// ParseCommandString is ParseCommand for a line held as a string: Arg is a
// part of line, and so is Verb when line spells it in upper case, so it
// allocates only for an unknown verb sent in lower case.
func ParseCommandString(line string) (Command, error) {
	cmd, err := parseCommand(line)
	if err != nil {
		return Command{}, err
	}
	switch up := cmd.up[:cmd.n]; {
	case cmd.known:
		return Command{Verb: cmd.verb, Arg: cmd.arg}, nil
	case line[:cmd.n] == string(up):
		return Command{Verb: line[:cmd.n], Arg: cmd.arg}, nil
	default:
		return Command{Verb: string(up), Arg: cmd.arg}, nil
	}
}

// parsed is a command line split: up[:n] is the verb upper-cased; verb is
// its canonical string when the verb is known.
type parsed[T string | []byte] struct {
	up    [MaxVerbLength]byte
	n     int
	verb  string
	known bool
	arg   T
}

func parseCommand[T string | []byte](line T) (parsed[T], error) {
	raw := line
	for len(line) > 0 && (line[len(line)-1] == '\r' || line[len(line)-1] == '\n') {
		line = line[:len(line)-1]
	}
	n := 0
	for n < len(line) && (isLetter(line[n]) || n > 0 && isDigit(line[n])) {
		n++
	}
	switch {
	case n == 0:
		return parsed[T]{}, &ProtocolError{What: "command: line does not start with a verb", Input: string(raw)}
	case n > MaxVerbLength:
		return parsed[T]{}, &ProtocolError{What: "command: verb too long", Input: string(raw)}
	case n < len(line) && line[n] != ' ':
		return parsed[T]{}, &ProtocolError{What: "command: verb not followed by a space", Input: string(raw)}
	}
	p := parsed[T]{n: n, arg: line[min(n+1, len(line)):]}
	for i := range n {
		p.up[i] = toUpper(line[i])
	}
	p.verb, p.known = knownVerbs[string(p.up[:n])]
	return p, nil
}

var knownVerbs = func() map[string]string {
	m := make(map[string]string)
	for _, v := range []string{
		// RFC 959
		"USER", "PASS", "ACCT", "CWD", "CDUP", "SMNT", "QUIT", "REIN",
		"PORT", "PASV", "TYPE", "STRU", "MODE", "RETR", "STOR", "STOU",
		"APPE", "ALLO", "REST", "RNFR", "RNTO", "ABOR", "DELE", "RMD",
		"MKD", "PWD", "LIST", "NLST", "SITE", "SYST", "STAT", "HELP", "NOOP",
		// RFC 775
		"XMKD", "XRMD", "XPWD", "XCUP", "XCWD",
		// RFC 1639
		"LPRT", "LPSV",
		// RFC 2228
		"AUTH", "ADAT", "PROT", "PBSZ", "CCC", "MIC", "CONF", "ENC",
		// RFC 2389, RFC 2428, RFC 2640, RFC 3659, RFC 7151
		"FEAT", "OPTS", "EPRT", "EPSV", "LANG", "SIZE", "MDTM", "MLSD",
		"MLST", "HOST",
		// common non-standard commands
		"CLNT", "MFMT", "MFCT", "MFF", "HASH", "XCRC", "XMD5", "XSHA1",
		"XSHA256", "XSHA512", "MD5", "MMD5", "SPSV", "AVBL", "CSID",
	} {
		m[v] = v
	}
	return m
}()

func isLetter(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func toUpper(c byte) byte {
	if 'a' <= c && c <= 'z' {
		return c - 'a' + 'A'
	}
	return c
}
