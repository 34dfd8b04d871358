// Package ftp parses the FTP control protocol's wire text: command lines,
// reply lines and multi-line replies, and the data-connection addresses
// carried by PORT, EPRT and LPRT commands and by 227, 228 and 229 replies.
//
// Everything here is a pure function over bytes or strings (ReplyReader
// keeps the state of one reply in progress and nothing else): no I/O, no
// logging, no package state that changes. Reassembling the TCP stream and
// splitting it into lines is the caller's job; this package starts at one
// line.
//
// # Lines
//
// The control connection follows Telnet conventions (RFC 959 section 4,
// RFC 854). CleanLine removes what Telnet adds to a line: the CR before
// the LF, the NUL of a "CR NUL" pair (RFC 854, RFC 2640 section 3.1),
// option negotiation (IAC WILL/WONT/DO/DONT), subnegotiation (IAC SB ...
// IAC SE) and other commands such as the IAC IP and IAC DM that precede
// ABOR (RFC 959 section 4.1.3), and it turns an escaped IAC IAC back into
// one 0xFF byte. MaxLineLength is the length beyond which the caller should
// cut a line.
//
// # Commands
//
// ParseCommand splits a client line into an upper-cased verb and its
// argument (RFC 959 section 5.3). Verbs of the extensions in RFC 775 (XPWD,
// XCWD, ...), RFC 1639 (LPRT, LPSV), RFC 2228 (AUTH, ADAT, PROT, PBSZ, CCC,
// MIC, CONF, ENC), RFC 2389 (FEAT, OPTS), RFC 2428 (EPRT, EPSV), RFC 2640
// (LANG), RFC 3659 (SIZE, MDTM, MLSD, MLST, REST) and RFC 7151 (HOST) have
// the same shape and need no special case.
//
// # Replies
//
// ParseReplyLine splits one server line into its three-digit code, the
// separator and the text (RFC 959 section 4.2). ReplyReader assembles lines
// into complete replies, multi-line ones included, by the RFC 959 rule:
// "NNN-" opens a reply that only the first line starting with the same
// code and a space (or consisting of the code alone) closes. The 6yz codes of RFC 2228 (protected replies
// 631, 632, 633) are accepted as well.
//
// # Data-connection addresses
//
// ParsePORT (RFC 959), ParseEPRT (RFC 2428) and ParseLPRT (RFC 1639) read the
// argument of the commands that announce an active-mode address. Parse227
// (PASV, RFC 959 and RFC 1123 section 4.1.2.6), Parse228 (LPSV, RFC 1639)
// and Parse229 (EPSV, RFC 2428) find the passive-mode address in the text of
// a reply. FormatPORT, FormatEPRT and FormatLPRT write addresses back in
// wire form. Parsers are strict where the text comes from a command (a
// server would refuse a malformed PORT) and search the whole text of a reply,
// because servers word their 227, 228 and 229 replies freely.
//
// # Errors
//
// As in net/textproto there are two kinds of error. A *ProtocolError means
// the peer sent something that is not valid FTP: a garbage line, a
// malformed address. A *ReplyError means the server sent a well-formed
// refusal (a 4yz or 5yz reply); Reply.Err returns one.
package ftp
