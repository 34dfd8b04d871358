package analyze

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

// TestStampMatchesTime: a Stamp answers as the time.Time it was made from
// (order, difference, formatting, the zero value), for instants a capture
// holds and at the ends of what a Stamp holds.
func TestStampMatchesTime(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	times := []time.Time{
		{},
		time.Unix(0, 0).UTC(), // a capture with zeroed timestamps is not "no time"
		time.Unix(0, 1).UTC(),
		time.Unix(-1, 999999999).UTC(),
		time.Unix(1700000000, 123456789).UTC(),
		time.Date(1677, 9, 21, 0, 12, 44, 0, time.UTC),
		time.Date(2262, 4, 11, 23, 47, 15, 0, time.UTC),
	}
	for range 2000 {
		times = append(times, time.Unix(r.Int64N(1<<33)-1<<32, r.Int64N(1e9)).UTC())
	}
	for i, a := range times {
		sa := StampOf(a)
		if got := sa.Time(); !got.Equal(a) || got.Location() != time.UTC {
			t.Fatalf("StampOf(%v).Time() = %v", a, got)
		}
		if sa.IsZero() != a.IsZero() {
			t.Fatalf("StampOf(%v).IsZero() = %v", a, sa.IsZero())
		}
		if got, want := sa.Time().Format(time.RFC3339Nano), a.UTC().Format(time.RFC3339Nano); !a.IsZero() && got != want {
			t.Fatalf("Format: %q, want %q", got, want)
		}
		b := times[(i*7+3)%len(times)]
		sb := StampOf(b)
		if sa.After(sb) != a.After(b) || sa.Before(sb) != a.Before(b) || (sa == sb) != a.Equal(b) || sa.Compare(sb) != a.Compare(b) {
			t.Fatalf("%v against %v: order differs", a, b)
		}
		if !a.IsZero() && !b.IsZero() {
			if got, want := sa.Sub(sb), a.Sub(b); got != want {
				t.Fatalf("%v - %v = %v, want %v", a, b, got, want)
			}
			if a.Year() < 1700 || a.Year() > 2200 {
				continue // clamped: TestStampClamps
			}
			d := time.Duration(r.Int64N(1<<40) - 1<<39)
			if got, want := sa.Add(d).Time(), a.Add(d); !got.Equal(want) {
				t.Fatalf("%v + %v = %v, want %v", a, d, got, want)
			}
		}
	}
}

// TestStampClamps: instants beyond 1677-2262 become the nearest end, and
// differences saturate as time.Time's do.
func TestStampClamps(t *testing.T) {
	early, late := StampOf(time.Date(1, 1, 2, 0, 0, 0, 0, time.UTC)), StampOf(time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC))
	if early.IsZero() || early.Time().UnixNano() != math.MinInt64+1 {
		t.Errorf("year 1: %d ns, want the least a Stamp holds", early.Time().UnixNano())
	}
	if late.Time().UnixNano() != math.MaxInt64 {
		t.Errorf("year 3000: %d ns, want the most a Stamp holds", late.Time().UnixNano())
	}
	if d := late.Sub(early); d != math.MaxInt64 {
		t.Errorf("late - early = %v, want the longest Duration", d)
	}
	if d := early.Sub(late); d != math.MinInt64 {
		t.Errorf("early - late = %v, want the most negative Duration", d)
	}
	if got := late.Add(time.Hour); got != late {
		t.Errorf("the latest Stamp plus an hour moved: %d", got.Time().UnixNano())
	}
	if got := early.Add(-time.Hour); got != early {
		t.Errorf("the earliest Stamp less an hour moved: %d", got.Time().UnixNano())
	}
}
