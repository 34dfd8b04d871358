package ftp

import (
	"path/filepath"
	"strings"
	"testing"
)

func TestExplore(t *testing.T) {
	for _, p := range corpusFiles(t) {
		rel, _ := filepath.Rel(corpusDir, p)
		readers := map[string]*ReplyReader{}
		for _, row := range readTSV(t, p) {
			line, _ := unescapeLine(row["line"])
			line = CleanLine(nil, line)
			if row["sport"] == "21" || row["sport"] == "2811" {
				k := row["tcp_stream"]
				if readers[k] == nil { readers[k] = &ReplyReader{} }
				r, done, err := readers[k].Feed(line)
				if err != nil { t.Logf("%s:%s R %v", rel, row["frame"], err) }
				if done && r.Forced { t.Logf("%s:%s forced", rel, row["frame"]) }
			} else {
				if _, err := ParseCommand(line); err != nil { t.Logf("%s:%s C %v", rel, row["frame"], err) }
			}
		}
		for k, rr := range readers { if rr.Pending() { t.Logf("%s stream %s pending at end", rel, k) } }
	}
	_ = strings.Contains
}
