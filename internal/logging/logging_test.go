package logging

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/url"
	"strings"
	"testing"
)

func TestRedactsEverywhere(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	redact := strings.NewReplacer("tok-123456", "[redacted]").Replace
	log := New(&buf, Options{Level: slog.LevelDebug, JSON: true, Redact: redact})
	u, _ := url.Parse("https://x/?t=tok-123456")
	type cfg struct{ Token string }
	log.With("pre", "tok-123456").Info("connecting with tok-123456",
		"err", errors.New("401 for tok-123456"), "url", u, "cfg", cfg{"tok-123456"},
		slog.Group("g", "inner", "tok-123456"), "n", 3)
	if strings.Contains(buf.String(), "tok-123456") {
		t.Errorf("secret in log: %s", buf.String())
	}
	var line map[string]any
	if err := json.Unmarshal(buf.Bytes(), &line); err != nil || line["n"] != 3.0 {
		t.Errorf("line %s: %v", buf.String(), err)
	}
}

func TestContextAttrs(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	log := New(&buf, Options{Level: slog.LevelInfo})
	ctx, id := WithRequest(context.Background(), "platform", "discord")
	ctx = With(ctx, "cohort", 7)
	log.InfoContext(ctx, "command handled")
	log.Info("no context")
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(id) != 16 || !strings.Contains(lines[0], "request="+id) || !strings.Contains(lines[0], "platform=discord") || !strings.Contains(lines[0], "cohort=7") {
		t.Errorf("with context: %q", lines[0])
	}
	if strings.Contains(lines[1], "request=") {
		t.Errorf("without context: %q", lines[1])
	}
}
