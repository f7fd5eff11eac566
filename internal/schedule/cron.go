package schedule

import (
	"errors"
	"strings"
	"sync"
	"time"

	"github.com/robfig/cron/v3"

	"cohortbot/internal/study"
)

// Cron reads leaderboard and recap schedules for the core: the standard five-field syntax
// plus descriptors (@weekly). The core decides what a schedule may be; this only parses.
// Parsed schedules are kept by their text: a tick plans thousands of cohorts that mostly
// share a few schedules, and a parsed schedule is read-only.
var Cron study.CronParser = &cronParser{}

type cronParser struct {
	parsed sync.Map // spec → cron.Schedule
	n      int
	mu     sync.Mutex
}

var parser = cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

// maxCached bounds the cache; organizers' schedules are few, but they are typed text.
const maxCached = 4096

func (p *cronParser) Parse(spec string) (study.CronSchedule, error) {
	if s, ok := p.parsed.Load(spec); ok {
		return s.(*schedule), nil
	}
	if strings.HasPrefix(spec, "TZ=") || strings.HasPrefix(spec, "CRON_TZ=") {
		// A schedule runs in its cohort's zone. robfig/cron v3.0.1 also panics on a zone
		// prefix with no space after it ("TZ=", "CRON_TZ=UTC").
		return nil, errors.New("a schedule runs in the cohort's time zone: leave TZ= out")
	}
	parsed, err := parser.Parse(spec)
	if err != nil {
		return nil, err
	}
	s := &schedule{s: parsed, next: map[nextKey]time.Time{}}
	p.mu.Lock()
	if p.n < maxCached {
		p.n++
		p.parsed.Store(spec, s)
	}
	p.mu.Unlock()
	return s, nil
}

// schedule remembers its latest answers: the cohorts planned at one tick share the
// instant they ask from (the tick's, or the one they were last planned through) and, in
// the main, a few zones, and robfig's Next walks the calendar each time.
type schedule struct {
	s    cron.Schedule
	mu   sync.Mutex
	next map[nextKey]time.Time
}

type nextKey struct {
	at  int64
	loc *time.Location
}

const maxNexts = 256

func (s *schedule) Next(t time.Time) time.Time {
	k := nextKey{t.UnixNano(), t.Location()}
	s.mu.Lock()
	n, ok := s.next[k]
	s.mu.Unlock()
	if ok {
		return n
	}
	n = s.s.Next(t)
	s.mu.Lock()
	if len(s.next) >= maxNexts {
		clear(s.next)
	}
	s.next[k] = n
	s.mu.Unlock()
	return n
}
