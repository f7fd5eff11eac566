package opshttp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
)

func get(t *testing.T, h http.Handler, path string) (int, Report) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
	var rep Report
	if path == "/readyz" {
		if err := json.Unmarshal(rec.Body.Bytes(), &rep); err != nil {
			t.Fatalf("%s: %v: %s", path, err, rec.Body)
		}
	}
	return rec.Code, rep
}

func TestProbes(t *testing.T) {
	t.Parallel()
	var dbDown atomic.Bool
	p := New(nil, Check{Name: "database", Probe: func(context.Context) error {
		if dbDown.Load() {
			return fmt.Errorf("%w: %w", Reason("unreachable"), errors.New("dial tcp 10.0.0.7:5432: refused"))
		}
		return nil
	}})
	p.Add(Check{Name: "discord", Probe: func(ctx context.Context) error { return nil }})
	mux := http.NewServeMux()
	p.Mount(mux, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte("m")) }))

	if code, _ := get(t, mux, "/healthz"); code != 200 {
		t.Errorf("healthz %d", code)
	}
	if code, rep := get(t, mux, "/readyz"); code != 200 || rep.Status != "ready" || rep.Checks["database"] != "ok" || rep.Checks["discord"] != "ok" {
		t.Errorf("readyz %d %+v", code, rep)
	}
	dbDown.Store(true)
	code, rep := get(t, mux, "/readyz")
	if code != 503 || rep.Checks["database"] != "unreachable" || len(rep.Failing) != 1 || rep.Failing[0] != "database" {
		t.Errorf("db down: %d %+v", code, rep)
	}
	dbDown.Store(false)
	p.Drain()
	if code, rep := get(t, mux, "/readyz"); code != 503 || rep.Status != "shutting down" {
		t.Errorf("draining: %d %+v", code, rep)
	}
	if code, _ := get(t, mux, "/healthz"); code != 200 {
		t.Errorf("healthz while draining %d", code)
	}
}
