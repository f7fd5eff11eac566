// Package pgtest gives each test its own PostgreSQL database.
//
// With COHORTBOT_TEST_DATABASE_URL set, databases are created on that server. Otherwise
// the first test to ask starts a throwaway cluster with the local initdb/pg_ctl (on Debian
// under /usr/lib/postgresql/*/bin) in a temporary directory on a free loopback port; Main
// stops it and removes the directory when the package's tests end.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

// EnvURL names the variable that points tests at an existing server.
const EnvURL = "COHORTBOT_TEST_DATABASE_URL"

const howToFix = "PostgreSQL tests need a server: set " + EnvURL + "=postgres://user:pass@127.0.0.1:5432/postgres?sslmode=disable, or install PostgreSQL so initdb and pg_ctl are found (Debian: apt-get install -y postgresql)"

type cluster struct {
	adminURL string
	dir      string
	pgCtl    string
	cred     *syscall.Credential
	mu       sync.Mutex // CREATE DATABASE copies template1 and must not run concurrently
	admin    *gorm.DB
}

var (
	once    sync.Once
	shared  *cluster
	initErr error
)

// Main runs the package's tests and then stops the cluster, if one was started.
func Main(m *testing.M) {
	code := m.Run()
	if shared != nil {
		shared.stop()
	}
	os.Exit(code)
}

// URL returns the URL of a fresh, empty database that is dropped when t ends.
func URL(t testing.TB) string {
	t.Helper()
	once.Do(func() { shared, initErr = start() })
	if initErr != nil {
		t.Fatalf("pgtest: %v\n%s", initErr, howToFix)
	}
	name := "cohortbot_test_" + randomHex(6)
	shared.mu.Lock()
	err := shared.admin.Exec("CREATE DATABASE " + name).Error
	shared.mu.Unlock()
	if err != nil {
		t.Fatalf("pgtest: create database: %v", err)
	}
	t.Cleanup(func() {
		shared.mu.Lock()
		defer shared.mu.Unlock()
		if err := shared.admin.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)").Error; err != nil {
			t.Logf("pgtest: drop %s: %v", name, err)
		}
	})
	u, _ := url.Parse(shared.adminURL)
	u.Path = "/" + name
	return u.String()
}

func start() (*cluster, error) {
	if env := os.Getenv(EnvURL); env != "" {
		c := &cluster{adminURL: env}
		return c, c.connect()
	}
	bin, err := findBin()
	if err != nil {
		return nil, err
	}
	c := &cluster{pgCtl: filepath.Join(bin, "pg_ctl")}
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
	data := filepath.Join(c.dir, "data")
	if out, err := c.run(filepath.Join(bin, "initdb"), "-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync", "--no-instructions"); err != nil {
		os.RemoveAll(c.dir)
		return nil, fmt.Errorf("initdb: %v: %s", err, out)
	}
	opts := fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300", port, c.dir)
	if out, err := c.run(c.pgCtl, "start", "-w", "-t", "60", "-D", data, "-l", filepath.Join(c.dir, "server.log"), "-o", opts); err != nil {
		log, _ := os.ReadFile(filepath.Join(c.dir, "server.log"))
		os.RemoveAll(c.dir)
		return nil, fmt.Errorf("pg_ctl start: %v: %s\n%s", err, out, log)
	}
	c.adminURL = fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", port)
	if err := c.connect(); err != nil {
		c.stop()
		return nil, err
	}
	return c, nil
}

func (c *cluster) connect() error {
	db, err := gorm.Open(postgres.Open(c.adminURL), &gorm.Config{Logger: logger.Discard})
	if err != nil {
		return fmt.Errorf("connect to the test server: %w", err)
	}
	c.admin = db
	return nil
}

func (c *cluster) stop() {
	if c.pgCtl == "" {
		return
	}
	if sqlDB, err := c.admin.DB(); err == nil {
		sqlDB.Close()
	}
	c.run(c.pgCtl, "stop", "-m", "immediate", "-w", "-D", filepath.Join(c.dir, "data"))
	os.RemoveAll(c.dir)
}

func (c *cluster) run(name string, args ...string) (string, error) {
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
	return "", errors.New("no initdb/pg_ctl found on PATH or under /usr/lib/postgresql/*/bin, and " + EnvURL + " is not set")
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

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return strings.ToLower(hex.EncodeToString(b))
}
