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

	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"cohortbot/internal/pgcluster"
)

// database is the run's PostgreSQL: DATABASE_URL's server, or a throwaway cluster with
// fsync on; a fresh database in it.
type database struct {
	URL     string
	cluster *pgcluster.Cluster
	db      *gorm.DB
}

func openDatabase() (*database, error) {
	admin := os.Getenv("DATABASE_URL")
	d := &database{}
	if admin == "" {
		c, err := pgcluster.Start(pgcluster.Options{Fsync: true})
		if err != nil {
			return nil, err
		}
		d.cluster, admin = c, c.URL
	}
	adb, err := gorm.Open(postgres.Open(admin), &gorm.Config{Logger: logger.Discard})
	if err != nil {
		d.close()
		return nil, err
	}
	name := fmt.Sprintf("cohortload_%d", time.Now().UnixNano())
	if err := adb.Exec("CREATE DATABASE " + name).Error; err != nil {
		d.close()
		return nil, fmt.Errorf("create database: %w", err)
	}
	if s, err := adb.DB(); err == nil {
		s.Close()
	}
	d.URL = strings.Replace(admin, "/postgres?", "/"+name+"?", 1)
	if d.db, err = gorm.Open(postgres.Open(d.URL), &gorm.Config{Logger: logger.Discard}); err != nil {
		d.close()
		return nil, err
	}
	return d, nil
}

func (d *database) close() {
	if d.db != nil {
		if s, err := d.db.DB(); err == nil {
			s.Close()
		}
	}
	if d.cluster != nil {
		d.cluster.Stop()
	}
}

// buildBot builds the cohortbot binary into dir.
func buildBot(ctx context.Context, dir string) (string, error) {
	out := filepath.Join(dir, "cohortbot")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", out, "./cmd/cohortbot")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("build cohortbot (run cohortload from the repository's root): %w", err)
	}
	return out, nil
}

// bot is a running `cohortbot run` child process.
type bot struct {
	cmd *exec.Cmd
	log string
}

func startBot(ctx context.Context, binary, logPath string, env map[string]string) (*bot, error) {
	f, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, binary, "run")
	cmd.Stdout, cmd.Stderr = f, f
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME")}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	if err := cmd.Start(); err != nil {
		f.Close()
		return nil, err
	}
	return &bot{cmd: cmd, log: logPath}, nil
}

func (b *bot) stop() {
	b.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { b.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		b.cmd.Process.Kill()
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
	return fmt.Errorf("%w\nthe bot's log ends:\n%s", err, log)
}
