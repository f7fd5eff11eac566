package store

import (
	"context"
	"database/sql/driver"
	"errors"
	"io"
	"net"
	"strings"
	"syscall"

	"github.com/jackc/pgx/v5/pgconn"
)

// IsTransient reports whether err is a fault that goes away by itself, so that the same
// request retried shortly may succeed: a dropped or refused connection, a server that is
// restarting or failing over, a serialization failure or deadlock, SQLite busy. Bad
// input, missing rows and bugs are not transient, and neither is a cancelled request.
func IsTransient(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) {
		return false
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch {
		case strings.HasPrefix(pgErr.Code, "08"), // connection exception
			pgErr.Code == "40001", // serialization_failure
			pgErr.Code == "40P01", // deadlock_detected
			pgErr.Code == "57P01", // admin_shutdown (pg_ctl stop/restart)
			pgErr.Code == "57P02", // crash_shutdown
			pgErr.Code == "57P03", // cannot_connect_now (starting up, recovering)
			pgErr.Code == "53300": // too_many_connections
			return true
		}
		return false
	}
	var connectErr *pgconn.ConnectError
	var netErr net.Error
	switch {
	case errors.As(err, &connectErr), errors.As(err, &netErr),
		errors.Is(err, driver.ErrBadConn), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF),
		errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE),
		pgconn.SafeToRetry(err):
		return true
	}
	// pgx reports a connection it closed after a failure as "conn closed"; SQLite
	// reports a lock held past busy_timeout as "database is locked" (SQLITE_BUSY).
	msg := err.Error()
	return strings.Contains(msg, "conn closed") || strings.Contains(msg, "database is locked") || strings.Contains(msg, "SQLITE_BUSY")
}
