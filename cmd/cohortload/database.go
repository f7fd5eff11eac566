package main

import (
	"errors"
	"fmt"
	"net/url"

	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"cohortbot/internal/pgcluster"
)

// server is a load run's PostgreSQL server: the one an admin URL names, or a throwaway
// cluster with fsync on (real commits: the point of a load run).
type server struct {
	admin   string // a superuser's URL
	cluster *pgcluster.Cluster
}

// openServer returns the server admin names, or starts a throwaway cluster when admin is
// empty.
func openServer(admin string) (*server, error) {
	if admin != "" {
		if _, err := databaseURL(admin, "x"); err != nil {
			return nil, err
		}
		return &server{admin: admin}, nil
	}
	c, err := pgcluster.Start(pgcluster.Options{Fsync: true})
	if err != nil {
		return nil, fmt.Errorf("start a throwaway postgresql: %w", err)
	}
	return &server{admin: c.URL, cluster: c}, nil
}

// throwaway tells whether the server is the run's own cluster.
func (s *server) throwaway() bool { return s.cluster != nil }

func (s *server) close() {
	if s.cluster != nil {
		s.cluster.Stop()
	}
}

// database is a fresh database on the run's server.
type database struct {
	URL  string
	db   *gorm.DB
	name string
	srv  *server
}

// create creates the database name on the server and connects to it.
func (s *server) create(name string) (*database, error) {
	u, err := databaseURL(s.admin, name)
	if err != nil {
		return nil, err
	}
	if err := s.exec("CREATE DATABASE " + name); err != nil {
		return nil, fmt.Errorf("create database %s: %w", name, err)
	}
	d := &database{URL: u, name: name, srv: s}
	if d.db, err = gorm.Open(postgres.Open(u), &gorm.Config{Logger: logger.Discard}); err != nil {
		d.close()
		return nil, fmt.Errorf("connect to database %s: %w", name, err)
	}
	return d, nil
}

// close disconnects and, on a server the run does not own, drops the database (a
// throwaway cluster goes as a whole).
func (d *database) close() {
	if d.db != nil {
		if s, err := d.db.DB(); err == nil {
			s.Close()
		}
	}
	if !d.srv.throwaway() {
		d.srv.exec("DROP DATABASE IF EXISTS " + d.name + " WITH (FORCE)")
	}
}

// exec runs one statement on the server's admin connection, opened for it.
func (s *server) exec(sql string) error {
	a, err := gorm.Open(postgres.Open(s.admin), &gorm.Config{Logger: logger.Discard})
	if err != nil {
		return err
	}
	defer func() {
		if db, err := a.DB(); err == nil {
			db.Close()
		}
	}()
	return a.Exec(sql).Error
}

// databaseURL is admin with its database replaced by name.
func databaseURL(admin, name string) (string, error) {
	u, err := url.Parse(admin)
	if err != nil {
		return "", fmt.Errorf("the database server's URL: %w", errors.Unwrap(err)) // not the URL: it may hold a password
	}
	if (u.Scheme != "postgres" && u.Scheme != "postgresql") || u.Host == "" {
		return "", fmt.Errorf("want a postgres://user@host:port/postgres?… URL of a server to create the run's databases on, got %q", u.Redacted())
	}
	u.Path, u.RawPath = "/"+name, ""
	return u.String(), nil
}
