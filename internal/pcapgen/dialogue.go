package pcapgen

import (
	"bytes"
	"net/netip"
	"time"
)

// The endpoints and start time of the connection Dialogue writes.
func DialogueClient() netip.AddrPort { return netip.MustParseAddrPort("10.1.0.2:40000") }
func DialogueServer() netip.AddrPort { return netip.MustParseAddrPort("198.51.100.10:21") }
func DialogueStart() time.Time       { return time.Unix(1700000000, 0) }

// Dialogue returns a whole capture file in the format o describes: one
// control connection from DialogueClient to DialogueServer, its handshake,
// each line as one segment, and its close. A line that starts with a digit
// is a server reply ("220 hi\r\n"); any other is a client command. Tests
// use it for the small captures a case needs.
func Dialogue(o Options, lines ...string) ([]byte, error) {
	var buf bytes.Buffer
	w, err := NewWriter(&buf, o)
	if err != nil {
		return nil, err
	}
	c := w.NewConn(DialogueClient(), DialogueServer(), DialogueStart())
	if err := c.Handshake(); err != nil {
		return nil, err
	}
	for _, l := range lines {
		if len(l) > 0 && l[0] >= '0' && l[0] <= '9' {
			err = c.Server(l)
		} else {
			err = c.Client(l)
		}
		if err != nil {
			return nil, err
		}
	}
	if err := c.Close(); err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
