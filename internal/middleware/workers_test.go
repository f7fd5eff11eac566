package middleware_test

import (
	"context"
	"log/slog"
	"sync"
	"testing"

	"cohortbot/internal/middleware"
)

func TestWorkersRunJobsAndSurvivePanics(t *testing.T) {
	t.Parallel()
	w := middleware.NewWorkers(2, slog.New(slog.NewTextHandler(t.Output(), nil)))
	t.Cleanup(w.Stop)
	var wg sync.WaitGroup
	var mu sync.Mutex
	ran := 0
	for i := range 10 {
		wg.Add(1)
		if !w.Submit(context.Background(), func() {
			defer wg.Done()
			if i == 3 {
				panic("job 3")
			}
			mu.Lock()
			ran++
			mu.Unlock()
		}) {
			t.Fatal("Submit refused a job while running")
		}
	}
	wg.Wait()
	if ran != 9 {
		t.Errorf("%d jobs ran, want 9 (one panicked)", ran)
	}
}

func TestWorkersBusyAndStopped(t *testing.T) {
	t.Parallel()
	w := middleware.NewWorkers(1, slog.New(slog.NewTextHandler(t.Output(), nil)))
	hold, taken := make(chan struct{}), make(chan struct{})
	if !w.Submit(context.Background(), func() { close(taken); <-hold }) {
		t.Fatal("Submit refused")
	}
	<-taken
	if w.TrySubmit(func() {}) {
		t.Error("TrySubmit took a job with its only worker busy")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if w.Submit(ctx, func() {}) {
		t.Error("Submit took a job after its context ended")
	}
	close(hold)
	w.Stop()
	if w.Submit(context.Background(), func() { t.Error("a job ran after Stop") }) {
		t.Error("Submit took a job after Stop")
	}
}
