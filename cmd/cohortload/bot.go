package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// buildBot builds the cohortbot binary into dir, or returns bin when one is given.
func buildBot(ctx context.Context, dir, bin string) (string, error) {
	if bin != "" {
		return bin, nil
	}
	out := filepath.Join(dir, "cohortbot")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", out, "./cmd/cohortbot")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("build cohortbot (run cohortload from the repository's root): %w", err)
	}
	return out, nil
}

// bot is a cohortbot child process: `cohortbot run`, or a one-off such as `migrate up`.
type bot struct {
	cmd  *exec.Cmd
	log  string
	done chan struct{} // closed when the process has exited
	err  error         // its exit, once done is closed
}

// startBot runs `binary run` with env (on top of PATH and HOME), its output in logPath.
func startBot(ctx context.Context, binary, logPath string, env map[string]string) (*bot, error) {
	return startCohortbot(ctx, binary, logPath, env, "run")
}

// startCohortbot runs binary with args and env (on top of PATH and HOME), its output in
// logPath: `run`, or a one-off such as `migrate up`.
func startCohortbot(ctx context.Context, binary, logPath string, env map[string]string, args ...string) (*bot, error) {
	f, err := os.Create(logPath)
	if err != nil {
		return nil, fmt.Errorf("the bot's log: %w", err)
	}
	cmd := exec.CommandContext(ctx, binary, args...)
	cmd.Stdout, cmd.Stderr = f, f
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME")}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	if err := cmd.Start(); err != nil {
		f.Close()
		return nil, fmt.Errorf("start %s %s: %w", binary, strings.Join(args, " "), err)
	}
	b := &bot{cmd: cmd, log: logPath, done: make(chan struct{})}
	go func() {
		b.err = cmd.Wait()
		f.Close()
		close(b.done)
	}()
	return b, nil
}

// wait waits for a one-off command to exit, killing it after within.
func (b *bot) wait(within time.Duration) error {
	select {
	case <-b.done:
		return b.err
	case <-time.After(within):
		b.cmd.Process.Kill()
		<-b.done
		return fmt.Errorf("did not finish within %s", within)
	}
}

// stop sends SIGTERM and waits for the graceful shutdown (30 s at most, then kills). It
// may be called again, and returns at once then.
func (b *bot) stop() {
	select {
	case <-b.done:
		return
	default:
	}
	b.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-b.done:
	case <-time.After(30 * time.Second):
		b.cmd.Process.Kill()
		<-b.done
	}
}

// rssMB is the process's resident memory.
func (b *bot) rssMB() float64 {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", b.cmd.Process.Pid))
	if err != nil {
		return -1
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 64)
			return kb / 1024
		}
	}
	return -1
}

// withLog adds the end of the bot's log to err.
func (b *bot) withLog(err error) error {
	log, _ := os.ReadFile(b.log)
	if len(log) > 4000 {
		log = log[len(log)-4000:]
	}
	return fmt.Errorf("%w\nthe bot's log (%s) ends:\n%s", err, b.log, log)
}
