package report

import (
	"bytes"
	"encoding/json"
	"math"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"
)

// encodingJSON is what encoding/json writes for v, as the report's encoder
// is set up (no HTML escaping), without the line end.
func encodingJSON(t testing.TB, v any) []byte {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}

// jsonTestStrings are strings that exercise the escaping: empty, plain,
// quotes and backslashes, every kind of control character, HTML
// characters (not escaped), DEL, invalid UTF-8, U+2028/U+2029, and
// characters beyond the BMP.
var jsonTestStrings = []string{
	"", "S1", "226 Transfer complete.", `a "quoted" \ path`, "\b\f\n\r\t\x00\x01\x1f", "<a href='x'>&amp;</a>",
	"\x7f", "bad \xff\xfe utf-8", "\xe2\x80", "line\u2028sep\u2029para", "日本語 🚀", "10.1.0.2:40000", "[2001:db8::1]:21",
}

// fill sets every field of the struct v points to from r: strings from
// jsonTestStrings, numbers (zero a third of the time, so that omitempty is
// exercised), lists nil, empty or not, pointers nil or set.
func fill(r *rand.Rand, v reflect.Value) {
	switch v.Kind() {
	case reflect.String:
		v.SetString(jsonTestStrings[r.IntN(len(jsonTestStrings))])
	case reflect.Bool:
		v.SetBool(r.IntN(2) == 0)
	case reflect.Int:
		if r.IntN(3) > 0 {
			v.SetInt(int64(r.IntN(1 << 20)))
		}
	case reflect.Uint64:
		if r.IntN(3) > 0 {
			v.SetUint(r.Uint64() >> r.IntN(64))
		}
	case reflect.Float64:
		floats := []float64{0, 1, 0.5, 1e-7, 1.5e-9, 1e21, 123456.789, 3e-6, 7, math.SmallestNonzeroFloat64, 2.5e300}
		v.SetFloat(floats[r.IntN(len(floats))])
	case reflect.Slice:
		switch r.IntN(3) {
		case 0: // nil
		case 1:
			v.Set(reflect.MakeSlice(v.Type(), 0, 0))
		default:
			n := 1 + r.IntN(3)
			s := reflect.MakeSlice(v.Type(), n, n)
			for i := range n {
				fill(r, s.Index(i))
			}
			v.Set(s)
		}
	case reflect.Pointer:
		if r.IntN(3) > 0 {
			p := reflect.New(v.Type().Elem())
			fill(r, p.Elem())
			v.Set(p)
		}
	case reflect.Struct:
		for i := range v.NumField() {
			fill(r, v.Field(i))
		}
	default:
		panic("fill: no case for " + v.Type().String())
	}
}

// TestAppendJSONMatchesEncodingJSON: each record appended by hand is byte
// for byte what encoding/json writes for it, over thousands of records
// whose every field is set at random (a field left out of an appendJSON,
// misnamed, or with the wrong omitempty, fails).
func TestAppendJSONMatchesEncodingJSON(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 19))
	for _, tt := range []struct {
		name   string
		newRec func() (any, func([]byte) []byte)
	}{
		{"session", func() (any, func([]byte) []byte) { x := &sessionRecord{}; return x, x.appendJSON }},
		{"transfer", func() (any, func([]byte) []byte) { x := &transferRecord{}; return x, x.appendJSON }},
		{"negotiation", func() (any, func([]byte) []byte) { x := &negotiationRecord{}; return x, x.appendJSON }},
		{"data", func() (any, func([]byte) []byte) { x := &dataRecord{}; return x, x.appendJSON }},
		{"reply", func() (any, func([]byte) []byte) { x := &replyRecord{}; return x, x.appendJSON }},
		{"finding", func() (any, func([]byte) []byte) { x := &findingRecord{}; return x, x.appendJSON }},
		{"evidence", func() (any, func([]byte) []byte) { x := &evidenceRecord{}; return x, x.appendJSON }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			for i := range 2000 {
				rec, appendJSON := tt.newRec()
				if i > 0 { // the first: every field zero
					fill(r, reflect.ValueOf(rec).Elem())
				}
				want := encodingJSON(t, rec)
				if got := appendJSON([]byte("prefix")); !bytes.Equal(got, append([]byte("prefix"), want...)) {
					t.Fatalf("record %d:\nappended      %s\nencoding/json %s", i, got[len("prefix"):], want)
				}
			}
		})
	}
}

// FuzzAppendJSONString: any string is escaped as encoding/json escapes it.
func FuzzAppendJSONString(f *testing.F) {
	for _, s := range jsonTestStrings {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want := encodingJSON(t, s)
		if got := appendJSONString(nil, s); !bytes.Equal(got, want) {
			t.Errorf("%q: appended %s, encoding/json %s", s, got, want)
		}
	})
}

// TestAppendJSONFloat: durations are written as encoding/json writes a
// float64, on both sides of its exponent cut-offs.
func TestAppendJSONFloat(t *testing.T) {
	for _, f := range []float64{1, -1, 0.1, 1e-6, 9.99e-7, 1e-7, 1e20, 1e21, 1.5e-9, 123.456, math.MaxFloat64, math.SmallestNonzeroFloat64} {
		if got, want := appendJSONFloat(nil, f), encodingJSON(t, f); !bytes.Equal(got, want) {
			t.Errorf("%g: appended %s, encoding/json %s", f, got, want)
		}
	}
}

// TestAppendTimestamp: the report's timestamps are what time's own
// formatter writes for TimeFormat, at every edge of the layout.
func TestAppendTimestamp(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	times := []time.Time{
		time.Unix(0, 0),
		time.Unix(0, 1),
		time.Unix(1, 999999999),
		time.Date(2000, 2, 29, 23, 59, 59, 999999999, time.UTC),
		time.Date(1969, 12, 31, 23, 59, 59, 0, time.UTC),
		time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC),
		time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(0, 3, 1, 0, 0, 0, 0, time.UTC),
		time.Date(1, 1, 1, 0, 0, 1, 0, time.UTC),
		time.Date(1600, 2, 29, 12, 0, 0, 0, time.UTC),
		time.Date(2100, 3, 1, 0, 0, 0, 0, time.UTC),
		time.Date(2026, 12, 7, 13, 4, 5, 600, time.FixedZone("CET", 3600)),
		time.Date(2026, 12, 7, 13, 4, 5, 600, time.Local),
	}
	for range 20000 {
		times = append(times, time.Unix(r.Int64N(1<<39)-1<<38, r.Int64N(1e9)))
	}
	for _, tm := range times {
		want := tm.UTC().Format(TimeFormat)
		if got := string(appendTimestamp(nil, tm)); got != want {
			t.Fatalf("appendTimestamp(%v) = %q, want %q", tm, got, want)
		}
		if got := ts(tm); got != want {
			t.Fatalf("ts(%v) = %q, want %q", tm, got, want)
		}
	}
	if got := ts(time.Time{}); got != "" {
		t.Errorf("ts(zero) = %q, want empty", got)
	}
}

func BenchmarkTimestamp(b *testing.B) {
	tm := time.Date(2026, 12, 7, 13, 4, 5, 123456789, time.UTC)
	b.Run("appendTimestamp", func(b *testing.B) {
		buf := make([]byte, 0, 64)
		for b.Loop() {
			buf = appendTimestamp(buf[:0], tm)
		}
	})
	b.Run("Format", func(b *testing.B) {
		buf := make([]byte, 0, 64)
		for b.Loop() {
			buf = tm.UTC().AppendFormat(buf[:0], TimeFormat)
		}
	})
}

// BenchmarkAppendJSONString: the strings of a usual transfer record.
func BenchmarkAppendJSONString(b *testing.B) {
	strs := []string{"t1-s42", "transfer", "RETR", "pub/file-0042.bin", "2026-12-07T13:04:05.123456789Z",
		"10.1.0.2:40000", "227 Entering Passive Mode (203,0,113,10,117,48).", "established", "226 Transfer complete."}
	n := 0
	for _, s := range strs {
		n += len(s)
	}
	b.SetBytes(int64(n))
	buf := make([]byte, 0, 512)
	for b.Loop() {
		buf = buf[:0]
		for _, s := range strs {
			buf = appendJSONString(buf, s)
		}
	}
}
