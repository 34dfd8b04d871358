package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// readLines returns the lines of the files, failing on a last line with
// no line end (a record cut in two).
func readLines(t *testing.T, files ...string) []string {
	t.Helper()
	var all []string
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if len(b) > 0 && b[len(b)-1] != '\n' {
			t.Errorf("%s ends in the middle of a line: %q", f, b[max(0, len(b)-40):])
		}
		for _, l := range strings.Split(string(b), "\n") {
			if l != "" {
				all = append(all, l)
			}
		}
	}
	return all
}

// TestOutputReopenUnderWriters rotates the output as logrotate does (rename,
// then SIGHUP's Reopen) again and again while goroutines write records: every
// record is in one of the files, whole, exactly once.
func TestOutputReopenUnderWriters(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "out.jsonl")
	o, err := openOutputFile(path, false, func(err error) { t.Error(err) })
	if err != nil {
		t.Fatal(err)
	}
	// Writers write until the rotations are done: every rotation happens
	// while records are being written, whatever the machine's speed.
	const writers, rotations = 6, 40
	var wg sync.WaitGroup
	stop := make(chan struct{})
	wrote := make([]int, writers)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					wrote[w] = i
					return
				default:
				}
				// One Write per record, as json.Encoder writes.
				line := fmt.Sprintf(`{"type":"transfer","id":"W%d.T%d","pad":"%s"}`+"\n", w, i, strings.Repeat("x", i%200))
				if _, err := o.Write([]byte(line)); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	var files []string
	for n := 1; n <= rotations; n++ {
		time.Sleep(time.Millisecond)
		old := fmt.Sprintf("%s.%d", path, n)
		if err := os.Rename(path, old); err != nil {
			t.Fatal(err)
		}
		files = append(files, old)
		o.Reopen()
	}
	time.Sleep(time.Millisecond)
	close(stop)
	wg.Wait()
	files = append(files, path)
	if err := o.Close(); err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	for _, l := range readLines(t, files...) {
		var r struct{ ID string }
		if err := json.Unmarshal([]byte(l), &r); err != nil {
			t.Fatalf("a record is not whole: %v: %q", err, l)
		}
		seen[r.ID]++
	}
	total := 0
	for w := range writers {
		for i := range wrote[w] {
			if id := fmt.Sprintf("W%d.T%d", w, i); seen[id] != 1 {
				t.Errorf("record %s written %d times", id, seen[id])
			}
		}
		total += wrote[w]
	}
	if len(seen) != total {
		t.Errorf("%d distinct records in the files, %d written", len(seen), total)
	}
	t.Logf("%d records in %d files", total, len(files))
}

// TestOutputReopenWaitsForTheLine: a SIGHUP in the middle of a line (a
// buffered writer flushed part of a record) reopens after the write that
// ends it.
func TestOutputReopenWaitsForTheLine(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "out.jsonl")
	o, err := openOutputFile(path, false, func(err error) { t.Error(err) })
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	write := func(s string) {
		if _, err := o.Write([]byte(s)); err != nil {
			t.Fatal(err)
		}
	}
	write("{\"a\":1}\n{\"b\":")
	os.Rename(path, path+".1")
	o.Reopen()
	if _, err := os.Stat(path); err == nil {
		t.Fatal("reopened in the middle of a line")
	}
	write("2}\n")
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("not reopened after the line ended: %v", err)
	}
	write("{\"c\":3}\n")
	checkFile(t, path+".1", "{\"a\":1}\n{\"b\":2}\n")
	checkFile(t, path, "{\"c\":3}\n")

	// Held (the final report): the reopen waits for Release.
	os.Rename(path, path+".2")
	o.Hold()
	o.Reopen()
	write("| a table |\n")
	write("| of two lines |\n")
	if _, err := os.Stat(path); err == nil {
		t.Fatal("reopened in the middle of the final report")
	}
	o.Release()
	checkFile(t, path+".2", "{\"c\":3}\n| a table |\n| of two lines |\n")
	checkFile(t, path, "")
}

// TestOutputReopenFails: when FILE cannot be created again, the records go
// on into the old file, and the failure is said.
func TestOutputReopenFails(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "logs", "out.jsonl")
	os.Mkdir(filepath.Dir(path), 0o755)
	var warned []error
	o, err := openOutputFile(path, false, func(err error) { warned = append(warned, err) })
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	o.Write([]byte("one\n"))
	if err := os.Rename(filepath.Dir(path), filepath.Join(dir, "moved")); err != nil {
		t.Fatal(err)
	}
	o.Reopen()
	o.Write([]byte("two\n"))
	if len(warned) != 1 || !errors.Is(warned[0], os.ErrNotExist) {
		t.Errorf("warned %v, want one error saying the directory is gone", warned)
	}
	checkFile(t, filepath.Join(dir, "moved", "out.jsonl"), "one\ntwo\n")
}

// TestOutputAppend: -o empties FILE, --append keeps what it holds, and a
// reopen never empties (a SIGHUP with no rotation before it).
func TestOutputAppend(t *testing.T) {
	path := filepath.Join(t.TempDir(), "out.jsonl")
	os.WriteFile(path, []byte("before\n"), 0o644)
	for _, appendTo := range []bool{true, false} {
		o, err := openOutputFile(path, appendTo, nil)
		if err != nil {
			t.Fatal(err)
		}
		o.Write([]byte("one\n"))
		o.Reopen()
		o.Write([]byte("two\n"))
		o.Close()
		want := "one\ntwo\n"
		if appendTo {
			want = "before\n" + want
		}
		checkFile(t, path, want)
	}
	// --append wants -o; with it, files are appended to as well.
	if _, stderr, code := ftpsniff(t, "--append", "testdata/passive-and-active.pcap"); code != exitUsage || !strings.Contains(stderr, "needs -o") {
		t.Errorf("--append without -o: exit %d, %q", code, stderr)
	}
	os.WriteFile(path, []byte("{\"type\":\"before\"}\n"), 0o644)
	if _, stderr, code := ftpsniff(t, "-F", "json", "--append", "-o", path, "testdata/passive-and-active.pcap"); code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	lines := readLines(t, path)
	if len(lines) < 3 || lines[0] != `{"type":"before"}` || !strings.Contains(lines[len(lines)-1], `"type":"summary"`) {
		t.Errorf("--append: got %d lines, first %q", len(lines), lines[0])
	}
}

func checkFile(t *testing.T, path, want string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != want {
		t.Errorf("%s holds %q, want %q", path, b, want)
	}
}
