package store_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
	"gorm.io/gorm"

	"cohortbot/internal/store"
	"cohortbot/internal/study"
)

func TestIsTransient(t *testing.T) {
	t.Parallel()
	// A real refused connection: a port that was just free.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	_, refused := pgconn.Connect(context.Background(), "postgres://u@"+addr+"/db?sslmode=disable&connect_timeout=2")
	if refused == nil {
		t.Fatal("connecting to a closed port succeeded")
	}
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"connection refused", refused, true},
		{"server shutting down", &pgconn.PgError{Code: "57P01", Message: "terminating connection due to administrator command"}, true},
		{"server starting up", &pgconn.PgError{Code: "57P03", Message: "the database system is starting up"}, true},
		{"connection failure", &pgconn.PgError{Code: "08006"}, true},
		{"serialization failure", &pgconn.PgError{Code: "40001"}, true},
		{"deadlock", &pgconn.PgError{Code: "40P01"}, true},
		{"wrapped by the store", fmt.Errorf("check in u1: %w", &pgconn.PgError{Code: "57P01"}), true},
		{"unique violation", &pgconn.PgError{Code: "23505"}, false},
		{"syntax error", &pgconn.PgError{Code: "42601"}, false},
		{"not found", gorm.ErrRecordNotFound, false},
		{"bad input", study.Errorf(study.EINVALID, "no"), false},
		{"cancelled", fmt.Errorf("query: %w", context.Canceled), false},
		{"a bug", errors.New("nil map"), false},
		{"nil", nil, false},
	}
	for _, tc := range tests {
		if got := store.IsTransient(tc.err); got != tc.want {
			t.Errorf("%s (%v): transient=%v, want %v", tc.name, tc.err, got, tc.want)
		}
	}
}
