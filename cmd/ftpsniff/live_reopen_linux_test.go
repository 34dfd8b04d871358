//go:build linux

package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gopacket/gopacket/pcapgo"

	"github.com/ftpsniff/ftpsniff/internal/pcapgen"
	"github.com/ftpsniff/ftpsniff/internal/suite"
)

// TestLiveSIGHUPReopensOutput is logrotate's way with a live capture: the
// real binary captures in a network namespace with -F json -o FILE; FTP
// sessions come in; FILE is renamed and ftpsniff gets SIGHUP; more sessions
// come; SIGINT ends it. Both files hold whole JSON lines, the transfers of
// before the rotation in the old file and of after it in the new one, and
// together every record exactly once, the summary last.
func TestLiveSIGHUPReopensOutput(t *testing.T) {
	if testing.Short() {
		suite.Skip(t, "-short (live capture in a network namespace)", suite.Live)
	}
	if os.Geteuid() != 0 {
		suite.Skip(t, "not root: network namespaces and raw sockets need root; run `sudo go test ./cmd/ftpsniff -run SIGHUP`", suite.Live)
	}
	if err := exec.Command("ip", "netns", "list").Run(); err != nil {
		suite.Unavailable(t, fmt.Sprintf("`ip netns` is not available (%v): needs iproute2 and network namespace support", err), suite.Live)
	}
	detail := "SIGHUP reopens -o FILE during a live capture"
	suite.Track(t, suite.Live, &detail)

	dir := t.TempDir()
	bin := filepath.Join(dir, "ftpsniff")
	if out, err := exec.Command("go", "build", "-o", bin, "./cmd/ftpsniff").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	// A namespace holding the capturing end of a veth pair; the test
	// writes frames into the other end. The namespace has no address nor
	// route: nothing it receives goes anywhere.
	ns := fmt.Sprintf("ftpshup-%d", os.Getpid())
	gen := fmt.Sprintf("fshup%d", os.Getpid()%100000)
	sh := func(args ...string) {
		t.Helper()
		if out, err := exec.Command(args[0], args[1:]...).CombinedOutput(); err != nil {
			t.Fatalf("%s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	sh("ip", "netns", "add", ns)
	t.Cleanup(func() { exec.Command("ip", "netns", "del", ns).Run() })
	sh("ip", "link", "add", gen, "type", "veth", "peer", "name", "cap0", "netns", ns)
	t.Cleanup(func() { exec.Command("ip", "link", "del", gen).Run() })
	exec.Command("sysctl", "-qw", "net.ipv6.conf."+gen+".disable_ipv6=1").Run() // no router solicitations
	sh("ip", "link", "set", gen, "up")
	sh("ip", "-n", ns, "link", "set", "cap0", "up")

	out := filepath.Join(dir, "ftpsniff.jsonl")
	rotated := out + ".1"
	cmd := exec.Command("ip", "netns", "exec", ns, bin, "-i", "cap0", "-F", "json", "-o", out)
	var stderr syncBuffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	ended := false
	defer func() {
		if !ended {
			cmd.Process.Kill()
			<-exited
		}
	}()
	waitFor(t, "ftpsniff to start capturing", func() bool { return strings.Contains(stderr.String(), "capturing on") }, stderr.String)

	h := rawSocket(t, gen)
	const before, after = 20, 15
	inject(t, h, sessions(t, 0, before))
	waitFor(t, "the transfers before the rotation", func() bool { return countTransfers(out) == before }, stderr.String)

	if err := os.Rename(out, rotated); err != nil {
		t.Fatal(err)
	}
	// ip netns exec runs ftpsniff in place (no fork): its PID is ftpsniff's.
	if err := cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "FILE created again after SIGHUP", func() bool { _, err := os.Stat(out); return err == nil }, stderr.String)
	inject(t, h, sessions(t, before, after))
	waitFor(t, "the transfers after the rotation", func() bool { return countTransfers(out) == after }, stderr.String)
	cmd.Process.Signal(syscall.SIGINT)
	select {
	case err := <-exited:
		ended = true
		if err != nil {
			t.Fatalf("ftpsniff: %v\n%s", err, stderr.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("ftpsniff did not end 30 s after SIGINT\n%s", stderr.String())
	}

	type rec struct {
		Type, ID, Client, Arg string
		Sessions              int
	}
	parse := func(file string) []rec {
		var rs []rec
		for _, l := range readLines(t, file) {
			var r rec
			if err := json.Unmarshal([]byte(l), &r); err != nil {
				t.Fatalf("%s: not a whole JSON record: %v: %q", file, err, l)
			}
			rs = append(rs, r)
		}
		return rs
	}
	old, cur := parse(rotated), parse(out)
	files := map[string]string{} // a transfer's file name → which output holds it
	clients := map[string]int{}
	for i, rs := range [][]rec{old, cur} {
		for _, r := range rs {
			switch r.Type {
			case "transfer":
				if files[r.Arg] != "" {
					t.Errorf("transfer of %s written twice", r.Arg)
				}
				files[r.Arg] = []string{"old", "new"}[i]
			case "session":
				clients[r.Client]++
			}
		}
	}
	for i := range before + after {
		want := "old"
		if i >= before {
			want = "new"
		}
		if name := fmt.Sprintf("f%d", i); files[name] != want {
			t.Errorf("transfer of %s in the %q file, want the %s one", name, files[name], want)
		}
		if c := client(i).String(); clients[c] != 1 {
			t.Errorf("session of %s written %d times", c, clients[c])
		}
	}
	if len(cur) == 0 || cur[len(cur)-1].Type != "summary" || cur[len(cur)-1].Sessions != before+after {
		t.Errorf("the new file does not end with a summary of %d sessions: %+v", before+after, cur[len(cur)-1:])
	}
	detail = fmt.Sprintf("SIGHUP reopened -o FILE: %d records before, %d after, none lost or cut", len(old), len(cur))
	t.Log(detail)
}

func client(i int) netip.AddrPort {
	return netip.AddrPortFrom(netip.MustParseAddr("10.1.0.2"), uint16(41000+i))
}

// sessions returns the frames of n passive FTP sessions, numbered from
// first: each logs in, downloads f<i> over its own data connection, quits.
func sessions(t *testing.T, first, n int) [][]byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := pcapgen.NewWriter(&buf, pcapgen.Options{Format: pcapgen.PcapMicro, Link: pcapgen.Ethernet})
	if err != nil {
		t.Fatal(err)
	}
	server := netip.MustParseAddr("198.51.100.10")
	t0 := time.Now()
	for i := first; i < first+n; i++ {
		port := 50000 + i
		c := w.NewConn(client(i), netip.AddrPortFrom(server, 21), t0)
		c.Handshake()
		c.Server("220 hi\r\n")
		c.Client("USER anonymous\r\n")
		c.Server("230 ok\r\n")
		c.Client("PASV\r\n")
		c.Server(fmt.Sprintf("227 Entering Passive Mode (198,51,100,10,%d,%d)\r\n", port>>8, port&0xff))
		c.Client(fmt.Sprintf("RETR f%d\r\n", i))
		c.Server("150 here it comes\r\n")
		d := w.NewConn(netip.AddrPortFrom(client(i).Addr(), uint16(60000+i)), netip.AddrPortFrom(server, uint16(port)), c.Now())
		d.Handshake()
		d.Server(strings.Repeat("x", 1000))
		d.CloseFrom(false)
		c.Server("226 done\r\n")
		c.Client("QUIT\r\n")
		c.Server("221 bye\r\n")
		c.Close()
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	r, err := pcapgo.NewReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	var frames [][]byte
	for {
		data, _, err := r.ReadPacketData()
		if err != nil {
			break
		}
		frames = append(frames, data)
	}
	return frames
}

// rawSocket returns an AF_PACKET socket bound to the interface, to write
// frames into it.
func rawSocket(t *testing.T, iface string) int {
	t.Helper()
	ifc, err := net.InterfaceByName(iface)
	if err != nil {
		t.Fatal(err)
	}
	fd, err := syscall.Socket(syscall.AF_PACKET, syscall.SOCK_RAW, 0)
	if err != nil {
		t.Fatalf("a raw socket: %v", err)
	}
	t.Cleanup(func() { syscall.Close(fd) })
	if err := syscall.Bind(fd, &syscall.SockaddrLinklayer{Ifindex: ifc.Index}); err != nil {
		t.Fatalf("binding a raw socket to %s: %v", iface, err)
	}
	return fd
}

// inject writes the frames into the veth, a little at a time.
func inject(t *testing.T, fd int, frames [][]byte) {
	t.Helper()
	for i, f := range frames {
		if _, err := syscall.Write(fd, f); err != nil {
			t.Fatalf("writing frame %d into the veth: %v", i, err)
		}
		if i%32 == 31 {
			time.Sleep(time.Millisecond)
		}
	}
}

// countTransfers counts the transfer records in file (0 when it does not
// exist yet).
func countTransfers(file string) int {
	f, err := os.Open(file)
	if err != nil {
		return 0
	}
	defer f.Close()
	n := 0
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if strings.Contains(sc.Text(), `"type":"transfer"`) {
			n++
		}
	}
	return n
}

func waitFor(t *testing.T, what string, ok func() bool, log func() string) {
	t.Helper()
	for end := time.Now().Add(20 * time.Second); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
		if ok() {
			return
		}
	}
	t.Fatalf("waited 20 s for %s\nftpsniff's standard error:\n%s", what, log())
}
