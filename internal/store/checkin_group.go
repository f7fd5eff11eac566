package store

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"cohortbot/internal/study"
)

// Check-ins on PostgreSQL are committed in groups. Each of checkInCommitters takes the
// check-ins waiting when it is free (up to maxCheckInGroup) and runs them as one
// pipelined batch: one round trip, one transaction, one WAL flush for all of them.
// Under light load a group is a single check-in and nothing waits; under a burst the
// groups grow by themselves, and the commit — with fsync on, most of a check-in's cost —
// is shared. Each committer moves its own standings shard, so two groups never wait on
// each other's counter rows, and a group locks its members in key order, so two groups
// cannot deadlock on member rows.
const (
	checkInCommitters = 8
	maxCheckInGroup   = 64
	// checkInGroupTimeout bounds one group's round trip; a caller that stops waiting
	// earlier does not cancel the others' check-ins.
	checkInGroupTimeout = 15 * time.Second
)

// pendingCheckIn is a check-in waiting for its group's commit.
type pendingCheckIn struct {
	ctx  context.Context
	w    study.CheckInWrite
	done chan checkInResult // buffered: a committer never waits for the caller
}

type checkInResult struct {
	member study.Member
	added  bool
	err    error
}

// errStoreClosed refuses check-ins after Close.
var errStoreClosed = errors.New("store closed")

func (s *Store) startCommitters() {
	s.pending = make(chan *pendingCheckIn)
	s.quit = make(chan struct{})
	s.committers.Add(checkInCommitters)
	for shard := range checkInCommitters {
		go s.commitCheckIns(shard)
	}
}

func (s *Store) stopCommitters() {
	if s.quit == nil {
		return
	}
	s.stopOnce.Do(func() { close(s.quit) }) // Close may be called twice
	s.committers.Wait()
}

func (s *Store) checkInPostgres(ctx context.Context, w study.CheckInWrite) (study.Member, bool, error) {
	p := &pendingCheckIn{ctx: ctx, w: w, done: make(chan checkInResult, 1)}
	select {
	case s.pending <- p:
	case <-ctx.Done():
		return study.Member{}, false, ctx.Err()
	case <-s.quit:
		return study.Member{}, false, errStoreClosed
	}
	select {
	case r := <-p.done:
		return r.member, r.added, r.err
	case <-ctx.Done():
		// The group goes on; a retry of the same request finds its check-in.
		return study.Member{}, false, ctx.Err()
	}
}

// commitCheckIns is one committer: it takes the first check-in waiting and whatever
// others wait with it.
func (s *Store) commitCheckIns(shard int) {
	defer s.committers.Done()
	group := make([]*pendingCheckIn, 0, maxCheckInGroup)
	for {
		select {
		case p := <-s.pending:
			group = append(group[:0], p)
		case <-s.quit:
			return
		}
	more:
		for len(group) < maxCheckInGroup {
			select {
			case p := <-s.pending:
				group = append(group, p)
			default:
				break more
			}
		}
		s.commitGroup(shard, group)
		clear(group)
	}
}

// commitGroup runs a group of check-ins in one transaction and answers each. When the
// group fails for a reason that is not the database's state (a lost connection, a
// failover), every check-in in it gets the error, to be retried; otherwise each runs on
// its own, so that one bad check-in does not refuse the others.
func (s *Store) commitGroup(shard int, group []*pendingCheckIn) {
	live := group[:0]
	for _, p := range group {
		if err := p.ctx.Err(); err != nil {
			p.done <- checkInResult{err: err}
			continue
		}
		live = append(live, p)
	}
	if len(live) == 0 {
		return
	}
	slices.SortFunc(live, func(a, b *pendingCheckIn) int {
		ua, ub := a.w.User, b.w.User
		return cmp.Or(cmp.Compare(a.w.CohortID, b.w.CohortID), strings.Compare(ua.Platform, ub.Platform),
			strings.Compare(ua.Workspace, ub.Workspace), strings.Compare(ua.ID, ub.ID))
	})
	results, err := s.runGroup(shard, live)
	if err != nil && len(live) > 1 && !IsTransient(err) {
		for _, p := range live {
			s.commitGroup(shard, []*pendingCheckIn{p})
		}
		return
	}
	for i, p := range live {
		if err != nil {
			w := p.w
			p.done <- checkInResult{err: wrap(err, "check in %s for day %d in cohort %d", w.User.ID, w.Day, w.CohortID)}
			continue
		}
		p.done <- results[i]
	}
}

// runGroup sends the group's statements as one batch — for each check-in the member's
// insert, its rename and the check-in — and reads them back once the batch's implicit
// transaction has committed.
func (s *Store) runGroup(shard int, group []*pendingCheckIn) ([]checkInResult, error) {
	ctx, cancel := context.WithTimeout(context.Background(), checkInGroupTimeout)
	defer cancel()
	conn, err := s.sqlDB.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("check in: %w", err)
	}
	defer conn.Close()
	results := make([]checkInResult, len(group))
	err = conn.Raw(func(driverConn any) error {
		pc := driverConn.(*stdlib.Conn).Conn()
		b := &pgx.Batch{}
		counts := make([]int, len(group))
		for i, p := range group {
			before := b.Len()
			queueCheckIn(b, p.w, shard)
			counts[i] = b.Len() - before
		}
		br := pc.SendBatch(ctx, b)
		for i, n := range counts {
			var row memberRow
			if err := readCheckIn(br, n, &row, &results[i].added); err != nil {
				br.Close()
				return err
			}
			results[i].member = toMember(row)
		}
		// The batch's implicit transaction commits at its end: only Close, which reads
		// that far, says whether it did. A connection lost just before is a group of
		// check-ins that may not have happened, never ones to acknowledge.
		return br.Close()
	})
	if err != nil {
		return nil, err
	}
	return results, nil
}

// queueCheckIn adds one check-in's statements to a batch.
func queueCheckIn(b *pgx.Batch, w study.CheckInWrite, shard int) {
	u := w.User
	mark := string(study.MarkLate)
	if w.OnTime {
		mark = string(study.MarkOnTime)
	}
	b.Queue(addMemberPostgresSQL, w.CohortID, u.Platform, u.Workspace, u.ID, u.Name, ts(w.At), shard)
	if u.Name != "" {
		b.Queue(renameMemberPostgresSQL, w.CohortID, u.Platform, u.Workspace, u.ID, u.Name)
	}
	b.Queue(checkInPostgresSQL, w.CohortID, u.Platform, u.Workspace, u.ID, w.Day, string(w.Source), w.Note, ts(w.At), w.OnTime,
		strings.Repeat(string(study.MarkNotDone), w.Length), mark, w.Length, w.Request, shard)
}
