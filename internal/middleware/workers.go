package middleware

import (
	"context"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync"
)

// Workers runs jobs on a fixed set of long-lived goroutines. A goroutine per request
// grows its stack afresh through the core's call depth every time, copying it at each
// doubling — under a burst of /done that copying was 18% of the bot's CPU; a worker's
// stack stays grown. The fixed number also bounds how much work runs at once, so a
// backlog waits as small queued jobs rather than as half-finished requests.
type Workers struct {
	log  *slog.Logger
	jobs chan func()
	quit chan struct{}
	wg   sync.WaitGroup
	stop sync.Once
}

// NewWorkers starts n workers.
func NewWorkers(n int, log *slog.Logger) *Workers {
	w := &Workers{log: log, jobs: make(chan func()), quit: make(chan struct{})}
	w.wg.Add(n)
	for range n {
		go w.work()
	}
	return w
}

func (w *Workers) work() {
	defer w.wg.Done()
	for {
		select {
		case f := <-w.jobs:
			w.run(f)
		case <-w.quit:
			return
		}
	}
}

// run keeps the worker alive through a job's panic (the job should recover its own).
func (w *Workers) run(f func()) {
	defer func() {
		if r := recover(); r != nil {
			w.log.Error("worker job panicked", "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
		}
	}()
	f()
}

// TrySubmit hands f to an idle worker; false when every worker is busy.
func (w *Workers) TrySubmit(f func()) bool {
	select {
	case w.jobs <- f:
		return true
	default:
		return false
	}
}

// Submit waits for a worker to take f; false when ctx ends or the workers stop first.
func (w *Workers) Submit(ctx context.Context, f func()) bool {
	select {
	case w.jobs <- f:
		return true
	case <-ctx.Done():
		return false
	case <-w.quit:
		return false
	}
}

// Stop ends the workers once their current jobs return; jobs not taken are not run.
func (w *Workers) Stop() {
	w.stop.Do(func() { close(w.quit) })
	w.wg.Wait()
}
