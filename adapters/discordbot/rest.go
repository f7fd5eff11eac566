package discordbot

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"cohortbot/internal/study"
)

// Discord JSON error codes the adapter acts on.
const (
	codeUnknownChannel     = 10003
	codeUnknownMessage     = 10008
	codeUnknownInteraction = 10062
	codeMissingAccess      = 50001
	codeMissingPermissions = 50013
	codeAlreadyAcked       = 40060
	codeThreadExists       = 160004
)

// APIError is a failed Discord REST call. It names the route, never the URL: URLs of
// interaction webhooks carry the interaction's token.
type APIError struct {
	Route      string // "POST /channels/{channel}/messages"
	Status     int    // HTTP status; 0 when no answer came
	Code       int    // Discord's JSON error code
	Message    string
	RetryAfter time.Duration
	Global     bool  // a 429 of the global limit
	Err        error // the transport error when Status is 0
}

func (e *APIError) Error() string {
	switch {
	case e.Status == 0:
		return fmt.Sprintf("discord %s: %v", e.Route, e.Err)
	case e.Status == 429:
		return fmt.Sprintf("discord %s: rate limited, retry after %s", e.Route, e.RetryAfter)
	case e.Code != 0:
		return fmt.Sprintf("discord %s: HTTP %d, code %d: %s", e.Route, e.Status, e.Code, e.Message)
	}
	return fmt.Sprintf("discord %s: HTTP %d: %s", e.Route, e.Status, e.Message)
}

func (e *APIError) Unwrap() error { return e.Err }

// transient reports whether trying again later may succeed.
func (e *APIError) transient() bool { return e.Status == 0 || e.Status == 429 || e.Status >= 500 }

// call options.
type callOpts struct {
	// idempotent calls are retried on 5xx and network errors too (429s always are, when
	// the wait is short).
	idempotent bool
	// major is the route's top-level resource (a channel, guild or webhook id): per-route
	// limits are counted per resource.
	major string
	// post marks a scheduled post's request: it waits for no 429 and at most MaxPostWait
	// for its bucket, handing the wait back to the scheduler instead (which keeps other
	// channels going meanwhile and honours the wait exactly).
	post bool
}

// maxAnswer bounds what is read of an answer.
const maxAnswer = 1 << 20

// call sends one REST request under Discord's rate limits and decodes the answer into
// out. Short 429 waits are waited out here, on ctx; longer ones come back as an *APIError
// with RetryAfter for the caller to honour.
func (b *Bot) call(ctx context.Context, route, method, urlStr string, body, out any, o callOpts) error {
	var payload []byte
	if body != nil {
		var err error
		if payload, err = json.Marshal(body); err != nil {
			return fmt.Errorf("discord %s: encode: %w", route, err)
		}
	}
	maxWait := time.Duration(0)
	if o.post {
		maxWait = b.cfg.MaxPostWait
	}
	for attempt := 0; ; attempt++ {
		if err := b.limits.wait(ctx, route, o.major, maxWait); err != nil {
			var we *waitError
			if errors.As(err, &we) {
				return err
			}
			return fmt.Errorf("discord %s: %w", route, err)
		}
		e, data := b.send(ctx, route, method, urlStr, payload, o.major)
		if e == nil {
			if out != nil && len(data) > 0 {
				if err := json.Unmarshal(data, out); err != nil {
					return fmt.Errorf("discord %s: decode answer: %w", route, err)
				}
			}
			return nil
		}
		if ctx.Err() != nil {
			return fmt.Errorf("discord %s: %w", route, ctx.Err())
		}
		var wait time.Duration
		switch {
		case e.Status == 429 && !o.post && e.RetryAfter <= b.cfg.MaxInlineWait && attempt < 3:
			// The limits now hold the route (or everything) until the wait is over.
			b.log.Info("discord rate limit: waiting", "route", route, "retry_after", e.RetryAfter, "global", e.Global)
		case e.Status == 429:
			return e
		case o.idempotent && e.transient() && attempt < b.cfg.Retries:
			wait = b.cfg.RetryBackoff << attempt
			b.log.Warn("discord request failed; retrying", "route", route, "err", e, "attempt", attempt+1)
		default:
			return e
		}
		if err := sleep(ctx, wait); err != nil {
			return fmt.Errorf("discord %s: %w", route, err)
		}
	}
}

// send makes one attempt; it returns the answer's body, or what went wrong.
func (b *Bot) send(ctx context.Context, route, method, urlStr string, payload []byte, major string) (*APIError, []byte) {
	req, err := http.NewRequestWithContext(ctx, method, urlStr, bytes.NewReader(payload))
	if err != nil {
		return &APIError{Route: route, Err: err}, nil
	}
	req.Header.Set("Authorization", "Bot "+b.cfg.Token)
	req.Header.Set("User-Agent", userAgent)
	if payload != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := b.http.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			// url.Error prints the URL, which may hold an interaction token.
			err = fmt.Errorf("%s: %w", ue.Op, ue.Err)
		}
		return &APIError{Route: route, Err: err}, nil
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	b.limits.update(route, major, resp.Header, resp.StatusCode)
	if err != nil {
		return &APIError{Route: route, Err: fmt.Errorf("read answer: %w", err)}, nil
	}
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return nil, data
	}
	e := &APIError{Route: route, Status: resp.StatusCode}
	var body struct {
		Code       int     `json:"code"`
		Message    string  `json:"message"`
		RetryAfter float64 `json:"retry_after"`
		Global     bool    `json:"global"`
	}
	if json.Unmarshal(data, &body) == nil {
		e.Code, e.Message = body.Code, body.Message
	}
	if e.Message == "" {
		e.Message = strings.TrimSpace(truncate(string(data), 200))
	}
	if resp.StatusCode == http.StatusTooManyRequests {
		e.RetryAfter, e.Global = retryAfter(resp.Header), body.Global || isGlobal(resp.Header)
		if body.RetryAfter > 0 && resp.Header.Get("Retry-After") == "" {
			e.RetryAfter = time.Duration(body.RetryAfter * float64(time.Second))
		}
	}
	if resp.StatusCode == http.StatusUnauthorized && e.Message == "" {
		e.Message = "unauthorized: the bot token was rejected"
	}
	return e, nil
}

// userAgent is how Discord asks bots to name themselves.
const userAgent = "DiscordBot (https://github.com/cohortbot/cohortbot, 1) cohortbot"

func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// deliveryError classifies a failed post for the scheduler: permanent failures carry a
// reason an organizer can act on (it shows in /cohort status).
func deliveryError(err error) error {
	var we *waitError
	if errors.As(err, &we) {
		return &study.DeliveryError{Paced: true, RetryAfter: we.wait, Reason: "Discord rate limit bucket of " + we.route}
	}
	var e *APIError
	if !errors.As(err, &e) {
		return &study.DeliveryError{Reason: err.Error()}
	}
	switch {
	case e.Status == 429:
		ra := e.RetryAfter
		if ra <= 0 {
			ra = time.Second
		}
		return &study.DeliveryError{RetryAfter: ra, Reason: "Discord rate limit on " + e.Route}
	case e.transient():
		return &study.DeliveryError{Reason: e.Error()}
	case e.Code == codeUnknownChannel:
		return &study.DeliveryError{Permanent: true, Reason: "the Discord channel no longer exists (Unknown Channel): run /cohort setup in another channel"}
	case e.Code == codeMissingAccess:
		return &study.DeliveryError{Permanent: true, Reason: "the bot cannot see the Discord channel (Missing Access): give it View Channel there"}
	case e.Code == codeMissingPermissions:
		return &study.DeliveryError{Permanent: true, Reason: "the bot lacks a permission in the Discord channel (Missing Permissions): it needs Send Messages, Embed Links, Create Public Threads and Send Messages in Threads"}
	case e.Status == 401:
		return &study.DeliveryError{Permanent: true, Reason: "Discord rejected the bot token (401 Unauthorized)"}
	}
	return &study.DeliveryError{Permanent: true, Reason: fmt.Sprintf("Discord refused the post: %s", e.Error())}
}
