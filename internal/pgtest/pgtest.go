// Package pgtest gives each test its own PostgreSQL database.
//
// With COHORTBOT_TEST_DATABASE_URL set, databases are created on that server. Otherwise
// the first test to ask starts a throwaway cluster with the local initdb/pg_ctl (on Debian
// under /usr/lib/postgresql/*/bin) in a temporary directory on a free loopback port; Main
// stops it and removes the directory when the package's tests end.
package pgtest

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"

	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"cohortbot/internal/pgcluster"
)

// EnvURL names the variable that points tests at an existing server.
const EnvURL = "COHORTBOT_TEST_DATABASE_URL"

const howToFix = "PostgreSQL tests need a server: set " + EnvURL + "=postgres://user:pass@127.0.0.1:5432/postgres?sslmode=disable, or install PostgreSQL so initdb and pg_ctl are found (Debian: apt-get install -y postgresql)"

type cluster struct {
	adminURL string
	server   *pgcluster.Cluster // nil when EnvURL names the server
	mu       sync.Mutex         // CREATE DATABASE copies template1 and must not run concurrently
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
	server, err := pgcluster.Start(pgcluster.Options{})
	if err != nil {
		return nil, err
	}
	c := &cluster{adminURL: server.URL, server: server}
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
	if c.admin != nil {
		if sqlDB, err := c.admin.DB(); err == nil {
			sqlDB.Close()
		}
	}
	if c.server != nil {
		c.server.Stop()
	}
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return strings.ToLower(hex.EncodeToString(b))
}
