package pipeline

import (
	"sync/atomic"

	"github.com/ftpsniff/ftpsniff/analyze"
	"github.com/ftpsniff/ftpsniff/diagnose"
)

// Diagnosing behind the analysis: when a lone capture point is read from
// files, its finished sessions are diagnosed and handed to the sink on a
// goroutine of their own, so that the analysis does not wait for the
// rules or the writer. What spans sessions (an FXP's two sessions, a NAT
// pool's, the login audit) depends on the order the diagnoser is told of
// negotiations and finished sessions: both go through one queue, in the
// order the analysis made them, so the diagnoser decides exactly as it
// would have at once. A negotiation is noted when its reply is seen
// (diagnose.Note), since the analysis goes on changing it; a finished
// session is no longer changed (analyze.Options.OnSessionDone).

const (
	// diagnosisBatch is how many events the analysis hands over at once.
	diagnosisBatch = 64
	// diagnosisBatchesAhead is how many full batches may wait for the
	// diagnosis: past them the analysis waits, so the sessions waiting to
	// be diagnosed stay few.
	diagnosisBatchesAhead = 4
)

// diagnosisEvent is a finished session, or (s nil) a negotiation noted.
type diagnosisEvent struct {
	s    *analyze.Session
	note diagnose.Noted
}

// diagnosisQueue hands events, in order, to a goroutine that diagnoses.
type diagnosisQueue struct {
	pending []diagnosisEvent
	full    chan []diagnosisEvent
	empty   chan []diagnosisEvent
	done    chan struct{}
	// stopped is set by the diagnosing goroutine when the sink's reader
	// went away (Options.Stop); the analysis reads it.
	stopped atomic.Bool
}

// newDiagnosisQueue starts the goroutine: remember takes each negotiation,
// session each finished session, and returns whether to stop reading.
func newDiagnosisQueue(remember func(diagnose.Noted), session func(*analyze.Session) (stop bool)) *diagnosisQueue {
	q := &diagnosisQueue{
		pending: make([]diagnosisEvent, 0, diagnosisBatch),
		full:    make(chan []diagnosisEvent, diagnosisBatchesAhead),
		empty:   make(chan []diagnosisEvent, diagnosisBatchesAhead+2),
		done:    make(chan struct{}),
	}
	go func() {
		defer close(q.done)
		for events := range q.full {
			for i := range events {
				switch e := &events[i]; {
				case e.s != nil:
					if session(e.s) {
						q.stopped.Store(true)
					}
				default:
					remember(e.note)
				}
			}
			clear(events)
			select {
			case q.empty <- events[:0]:
			default:
			}
		}
	}()
	return q
}

func (q *diagnosisQueue) negotiated(s *analyze.Session, n *analyze.Negotiation) {
	if x := diagnose.Note(s, n); !x.IsZero() {
		q.add(diagnosisEvent{note: x})
	}
}

func (q *diagnosisQueue) sessionDone(s *analyze.Session) { q.add(diagnosisEvent{s: s}) }

func (q *diagnosisQueue) add(e diagnosisEvent) {
	q.pending = append(q.pending, e)
	if len(q.pending) == diagnosisBatch {
		q.handOver()
	}
}

func (q *diagnosisQueue) handOver() {
	q.full <- q.pending
	select {
	case q.pending = <-q.empty:
	default:
		q.pending = make([]diagnosisEvent, 0, diagnosisBatch)
	}
}

// finish hands over what is pending and waits until all was diagnosed.
func (q *diagnosisQueue) finish() {
	if len(q.pending) > 0 {
		q.handOver()
	}
	close(q.full)
	<-q.done
}
