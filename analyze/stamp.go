package analyze

import (
	"math"
	"time"
)

// Stamp is an instant of a capture, to the nanosecond: what a time.Time
// from a capture holds (always UTC, never a monotonic reading) in eight
// bytes with no pointer. Every kept line, segment and connection holds
// Refs; with a time.Time a Ref was 40 bytes and carried a pointer (the
// location), so every copy of one paid the collector's write barrier.
//
// The zero Stamp is no time, as the zero time.Time is. Instants are held
// as nanoseconds since 1970 (time.Time.UnixNano), so those before 1678 or
// after 2262 are clamped to the nearest end.
type Stamp struct {
	// v is UnixNano with its sign bit flipped: the zero Stamp is the
	// least instant, which StampOf never makes, and v orders as uint64.
	v uint64
}

const stampBias = 1 << 63

// StampOf is t as a Stamp; the zero time.Time is the zero Stamp.
func StampOf(t time.Time) Stamp {
	if t.IsZero() {
		return Stamp{}
	}
	sec := t.Unix()
	switch {
	case sec < minStampSecond:
		return StampAt(math.MinInt64 + 1)
	case sec >= maxStampSecond:
		return StampAt(math.MaxInt64)
	}
	return StampAt(sec*1e9 + int64(t.Nanosecond()))
}

// Within [minStampSecond, maxStampSecond) seconds since 1970, a whole
// second and its fraction fit an int64 of nanoseconds; outside, StampOf
// clamps.
const (
	minStampSecond = -9223372036 // math.MinInt64 ns is -9223372036.854775808 s
	maxStampSecond = 9223372036  // math.MaxInt64 ns is 9223372036.854775807 s
)

// StampAt is the instant ns nanoseconds after 1970 began (UTC).
func StampAt(ns int64) Stamp {
	if ns == math.MinInt64 {
		ns++
	}
	return Stamp{uint64(ns) ^ stampBias}
}

// IsZero reports whether s is no time.
func (s Stamp) IsZero() bool { return s.v == 0 }

// Time is s as a time.Time in UTC; the zero Stamp is the zero time.Time.
func (s Stamp) Time() time.Time {
	if s.v == 0 {
		return time.Time{}
	}
	return time.Unix(0, int64(s.v^stampBias)).UTC()
}

// UTC is s.Time(), which is in UTC already (as time.Time.UTC reads).
func (s Stamp) UTC() time.Time { return s.Time() }

// Sub is s-u, as time.Time.Sub: saturated at the Duration's range.
func (s Stamp) Sub(u Stamp) time.Duration {
	a, b := int64(s.v^stampBias), int64(u.v^stampBias)
	d := a - b
	switch {
	case (d < 0) != (a < b): // overflow
		if a < b {
			return math.MinInt64
		}
		return math.MaxInt64
	}
	return time.Duration(d)
}

// Add is s+d, clamped to what a Stamp holds (the zero Stamp is the least
// instant: plus d it is a real one).
func (s Stamp) Add(d time.Duration) Stamp {
	a := int64(s.v ^ stampBias)
	n := a + int64(d)
	switch {
	case d > 0 && n < a:
		n = math.MaxInt64
	case d < 0 && n > a:
		n = math.MinInt64 + 1
	}
	return StampAt(n)
}

// After reports whether s is later than u.
func (s Stamp) After(u Stamp) bool { return s.v > u.v }

// Before reports whether s is earlier than u.
func (s Stamp) Before(u Stamp) bool { return s.v < u.v }

// Compare is -1, 0 or +1 as s is before, at or after u.
func (s Stamp) Compare(u Stamp) int {
	switch {
	case s.v < u.v:
		return -1
	case s.v > u.v:
		return +1
	}
	return 0
}
