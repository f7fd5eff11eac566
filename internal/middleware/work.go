package middleware

import (
	"context"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync"
	"time"
)

// Work runs an adapter's event handlers: tracked, so that Close can let the ones in
// flight finish, and recovered, so that a panic is a log line and not a crash. Handlers
// get a context that lives until Close has waited for them.
type Work struct {
	log     *slog.Logger
	ctx     context.Context
	cancel  context.CancelFunc
	mu      sync.Mutex
	closing bool
	wg      sync.WaitGroup
}

// NewWork makes a Work whose handlers log panics to log.
func NewWork(log *slog.Logger) *Work {
	w := &Work{log: log}
	w.ctx, w.cancel = context.WithCancel(context.Background())
	return w
}

// Go runs f in the background; false once Close has begun (f does not run).
func (w *Work) Go(what string, timeout time.Duration, f func(ctx context.Context)) bool {
	if !w.add() {
		return false
	}
	go w.run(what, timeout, f)
	return true
}

// Do runs f in place (for platforms whose library already gives each event its own
// goroutine); false once Close has begun.
func (w *Work) Do(what string, timeout time.Duration, f func(ctx context.Context)) bool {
	if !w.add() {
		return false
	}
	w.run(what, timeout, f)
	return true
}

func (w *Work) add() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closing {
		return false
	}
	w.wg.Add(1)
	return true
}

func (w *Work) run(what string, timeout time.Duration, f func(ctx context.Context)) {
	defer w.wg.Done()
	defer func() {
		if r := recover(); r != nil {
			w.log.Error(what+" panicked", "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
		}
	}()
	ctx, cancel := context.WithTimeout(w.ctx, timeout)
	defer cancel()
	f(ctx)
}

// Close stops taking work, waits up to grace for the handlers in flight, then cancels
// what is left. It reports whether everything finished in time.
func (w *Work) Close(grace time.Duration) bool {
	w.mu.Lock()
	w.closing = true
	w.mu.Unlock()
	done := make(chan struct{})
	go func() { w.wg.Wait(); close(done) }()
	finished := true
	select {
	case <-done:
	case <-time.After(grace):
		finished = false
		w.log.Warn("handlers still running at shutdown; cancelling them", "grace", grace)
	}
	w.cancel()
	return finished
}
