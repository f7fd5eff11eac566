// Package pgcluster starts a throwaway PostgreSQL cluster with the local initdb and
// pg_ctl (Debian: /usr/lib/postgresql/*/bin), for tests and load runs on one machine.
package pgcluster

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Options of a cluster.
type Options struct {
	// Fsync keeps PostgreSQL's durability settings (fsync, synchronous_commit,
	// full_page_writes) on; off, commits do not wait for the disk.
	Fsync bool
	// SyncCommit, without Fsync, still writes each commit's WAL to the kernel before the
	// commit is acknowledged (synchronous_commit on): a crash of the server (kill -9,
	// pg_ctl stop -m immediate) loses nothing acknowledged; only a crash of the machine
	// could. Crash recovery then skips syncing every file of the data directory, so how
	// long a restart takes does not depend on the disk's queue.
	SyncCommit bool
	// MaxConnections is the server's max_connections (default 300).
	MaxConnections int
}

// Cluster is a running throwaway server.
type Cluster struct {
	// URL connects to its postgres database as the superuser.
	URL   string
	dir   string
	data  string
	opts  string // the server's command-line options
	pgCtl string
	cred  *syscall.Credential
}

// Start initialises and starts a cluster in a temporary directory on a free loopback
// port, as an unprivileged user when run as root.
func Start(o Options) (*Cluster, error) {
	bin, err := findBin()
	if err != nil {
		return nil, err
	}
	if o.MaxConnections <= 0 {
		o.MaxConnections = 300
	}
	c := &Cluster{pgCtl: filepath.Join(bin, "pg_ctl")}
	if c.dir, err = os.MkdirTemp("", "cohortbot-pg-"); err != nil {
		return nil, err
	}
	// initdb refuses to run as root; run the cluster as an unprivileged user instead.
	if os.Geteuid() == 0 {
		if c.cred, err = unprivileged(); err != nil {
			return nil, err
		}
		if err := os.Chown(c.dir, int(c.cred.Uid), int(c.cred.Gid)); err != nil {
			return nil, err
		}
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	c.data = filepath.Join(c.dir, "data")
	if out, err := c.run(filepath.Join(bin, "initdb"), "-D", c.data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync", "--no-instructions"); err != nil {
		os.RemoveAll(c.dir)
		return nil, fmt.Errorf("initdb: %v: %s", err, out)
	}
	opts := fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c max_connections=%d", port, c.dir, o.MaxConnections)
	if !o.Fsync {
		opts += " -c fsync=off -c full_page_writes=off"
		if !o.SyncCommit {
			opts += " -c synchronous_commit=off"
		}
	}
	c.opts = opts
	if err := c.start(); err != nil {
		os.RemoveAll(c.dir)
		return nil, err
	}
	c.URL = fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", port)
	return c, nil
}

// Postmaster is the server's main process id (0 when it is not running): a load run
// adds up the CPU time of it and its children.
func (c *Cluster) Postmaster() int {
	b, err := os.ReadFile(filepath.Join(c.data, "postmaster.pid"))
	if err != nil {
		return 0
	}
	line, _, _ := strings.Cut(string(b), "\n")
	pid, _ := strconv.Atoi(strings.TrimSpace(line))
	return pid
}

// Stop stops the server at once and removes its directory.
func (c *Cluster) Stop() {
	c.run(c.pgCtl, "stop", "-m", "immediate", "-w", "-D", c.data)
	os.RemoveAll(c.dir)
}

// Restart stops the server as a crash would (immediate mode) and starts it again on the
// same port: clients see their connections break, then the server back after crash
// recovery.
func (c *Cluster) Restart() error {
	if out, err := c.run(c.pgCtl, "stop", "-m", "immediate", "-w", "-D", c.data); err != nil {
		return fmt.Errorf("pg_ctl stop: %v: %s", err, out)
	}
	return c.start()
}

// start starts the server with its options, its output to server.log (pg_ctl restart
// would hand the server our pipe instead, and never let go of it).
func (c *Cluster) start() error {
	logPath := filepath.Join(c.dir, "server.log")
	if out, err := c.run(c.pgCtl, "start", "-w", "-t", "60", "-D", c.data, "-l", logPath, "-o", c.opts); err != nil {
		log, _ := os.ReadFile(logPath)
		return fmt.Errorf("pg_ctl start: %v: %s\n%s", err, out, log)
	}
	return nil
}

func (c *Cluster) run(name string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = c.dir
	cmd.Env = append(os.Environ(), "LC_ALL=C.UTF-8", "HOME="+c.dir)
	if c.cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: c.cred}
	}
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// findBin locates initdb and pg_ctl: on PATH, else the newest /usr/lib/postgresql/*/bin.
func findBin() (string, error) {
	if p, err := exec.LookPath("initdb"); err == nil {
		if real, err := filepath.EvalSymlinks(p); err == nil {
			p = real
		}
		dir := filepath.Dir(p)
		if _, err := os.Stat(filepath.Join(dir, "pg_ctl")); err == nil {
			return dir, nil
		}
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return version(dirs[i]) > version(dirs[j]) })
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "initdb")); err == nil {
			return d, nil
		}
	}
	return "", errors.New("no initdb/pg_ctl found on PATH or under /usr/lib/postgresql/*/bin (Debian: apt-get install -y postgresql)")
}

func version(binDir string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return n
}

func unprivileged() (*syscall.Credential, error) {
	for _, name := range []string{"postgres", "nobody"} {
		u, err := user.Lookup(name)
		if err != nil {
			continue
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
	}
	return nil, errors.New("running as root and no 'postgres' or 'nobody' user to run initdb as")
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
