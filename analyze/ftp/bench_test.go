package ftp

import "testing"

// Benchmarks on real lines from the corpus. Address parsers should not
// allocate; a Command or ReplyLine costs at most one allocation for its
// strings.

func BenchmarkParseCommand(b *testing.B) {
	for _, bc := range []struct{ name, line string }{
		{"verb only", "PASV"},
		{"PORT", "PORT 172,23,0,3,139,43"},
		{"lower case unknown", "frob a b c"},
	} {
		line := []byte(bc.line)
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(line)))
			for b.Loop() {
				if _, err := ParseCommand(line); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkParseReplyLine(b *testing.B) {
	line := []byte("227 Entering Passive Mode (127,0,0,1,185,13).")
	b.ReportAllocs()
	b.SetBytes(int64(len(line)))
	for b.Loop() {
		if _, err := ParseReplyLine(line); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkReplyReader(b *testing.B) {
	lines := [][]byte{
		[]byte("211-Extensions supported:"), []byte(" EPRT"), []byte(" MDTM"), []byte(" SIZE"),
		[]byte(" REST STREAM"), []byte(" MLSD"), []byte(" EPSV"), []byte("211 End."),
	}
	b.ReportAllocs()
	var rr ReplyReader
	for b.Loop() {
		for _, l := range lines {
			if _, _, err := rr.Feed(l); err != nil {
				b.Fatal(err)
			}
		}
	}
}

func BenchmarkParse227(b *testing.B) {
	for _, bc := range []struct{ name, text string }{
		{"vsFTPd", "Entering Passive Mode (127,0,0,1,185,13)."},
		{"digits and ( before", "Entering Passive Mode 1 (see RFC 1123) (10, 0, 0, 1, 4, 1)"},
		{"dots", "Entering Passive Mode (10.0.0.1.4.1)"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(bc.text)))
			for b.Loop() {
				if _, err := Parse227(bc.text); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkParsePORT(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParsePORT("172,23,0,3,139,43"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseEPRT(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseEPRT("|2|fd00:10:16:1::3|40467|"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParse229(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse229("Entering Extended Passive Mode (|||58612|)"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCleanLine(b *testing.B) {
	for _, tt := range []struct{ name, line string }{
		{"plain reply", "227 Entering Passive Mode (192,168,1,2,117,48).\r"},
		{"plain command", "RETR pub/file-0042.bin\r"},
		{"Telnet ABOR", "\xff\xf4\xff\xf2ABOR\r"},
	} {
		b.Run(tt.name, func(b *testing.B) {
			line := []byte(tt.line)
			buf := make([]byte, 0, 64)
			b.ReportAllocs()
			for b.Loop() {
				buf = CleanLine(buf[:0], line)
			}
		})
	}
}
