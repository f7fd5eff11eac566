package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// fakeTB lets the fakes, written for tests, run in this command: New(t) asks only for
// Helper and Cleanup; the cleanups run at close.
type fakeTB struct {
	testing.TB
	cleanups []func()
}

func (t *fakeTB) Helper()          {}
func (t *fakeTB) Cleanup(f func()) { t.cleanups = append(t.cleanups, f) }
func (t *fakeTB) close() {
	for i := len(t.cleanups) - 1; i >= 0; i-- {
		t.cleanups[i]()
	}
}

// buildBot builds the real cohortbot binary into dir (or returns bin when given).
func buildBot(dir, bin string) (string, error) {
	if bin != "" {
		return bin, nil
	}
	out := filepath.Join(dir, "cohortbot")
	cmd := exec.Command("go", "build", "-o", out, "./cmd/cohortbot")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("go build ./cmd/cohortbot (run this from the repository's root): %w", err)
	}
	return out, nil
}

// bot is a running `cohortbot run`.
type bot struct {
	cmd  *exec.Cmd
	done chan error
}

// runBot runs the binary with args and env (on top of a minimal one), its log in logPath.
func runBot(bin, logPath string, env map[string]string, args ...string) (*bot, error) {
	f, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.TempDir()}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	cmd.Stdout, cmd.Stderr = f, f
	if err := cmd.Start(); err != nil {
		f.Close()
		return nil, err
	}
	b := &bot{cmd: cmd, done: make(chan error, 1)}
	go func() { b.done <- cmd.Wait(); f.Close() }()
	return b, nil
}

// wait waits for the binary to exit (a one-off command such as migrate).
func (b *bot) wait(within time.Duration) error {
	select {
	case err := <-b.done:
		return err
	case <-time.After(within):
		b.cmd.Process.Kill()
		return fmt.Errorf("%s did not finish within %s", b.cmd.Path, within)
	}
}

// stop sends SIGTERM and waits for the graceful shutdown.
func (b *bot) stop() {
	b.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-b.done:
	case <-time.After(30 * time.Second):
		b.cmd.Process.Kill()
	}
}

func sleepUntil(ctx context.Context, t time.Time) error {
	select {
	case <-time.After(time.Until(t)):
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
