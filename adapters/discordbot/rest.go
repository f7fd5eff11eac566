package discordbot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/bwmarrin/discordgo"

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

// apiError turns what discordgo returned into an *APIError.
func apiError(route string, err error) *APIError {
	var (
		re  *discordgo.RESTError
		rle *discordgo.RateLimitError
		ue  *url.Error
	)
	e := &APIError{Route: route}
	switch {
	case errors.As(err, &rle):
		e.Status, e.Message = 429, "rate limited"
		if rle.TooManyRequests != nil {
			e.RetryAfter, e.Message = rle.RetryAfter, rle.Message
		}
	case errors.As(err, &re):
		if re.Response != nil {
			e.Status = re.Response.StatusCode
		}
		if re.Message != nil {
			e.Code, e.Message = re.Message.Code, re.Message.Message
		}
		if e.Message == "" {
			e.Message = strings.TrimSpace(truncate(string(re.ResponseBody), 200))
		}
	case errors.Is(err, discordgo.ErrUnauthorized):
		e.Status, e.Message = 401, "unauthorized: the bot token was rejected"
	case strings.HasPrefix(err.Error(), "Exceeded Max retries HTTP"):
		// discordgo's own 502 handling, which we switch off with WithRestRetries(0).
		e.Status, e.Message = 502, "Bad Gateway"
	case errors.As(err, &ue):
		// url.Error prints the URL, which may hold an interaction token.
		e.Err = fmt.Errorf("%s: %w", ue.Op, ue.Err)
	default:
		e.Err = err
	}
	return e
}

// call options.
type callOpts struct {
	// idempotent calls are retried on 5xx and network errors too (429s always are, when
	// the wait is short).
	idempotent bool
	bucket     string
}

// call sends one REST request through the Session (its rate-limit buckets and our
// transport) and decodes the answer into out. Short 429 waits are waited out here, on
// ctx; longer ones come back as an *APIError with RetryAfter for the caller to honour.
func (b *Bot) call(ctx context.Context, route, method, urlStr string, body, out any, o callOpts) error {
	bucket := o.bucket
	if bucket == "" {
		bucket = strings.SplitN(urlStr, "?", 2)[0]
	}
	for attempt := 0; ; attempt++ {
		resp, err := b.s.RequestWithBucketID(method, urlStr, body, bucket,
			discordgo.WithContext(ctx), discordgo.WithRetryOnRatelimit(false), discordgo.WithRestRetries(0))
		if err == nil {
			if out != nil && len(resp) > 0 {
				if err := json.Unmarshal(resp, out); err != nil {
					return fmt.Errorf("discord %s: decode answer: %w", route, err)
				}
			}
			return nil
		}
		if ctx.Err() != nil {
			return fmt.Errorf("discord %s: %w", route, ctx.Err())
		}
		e := apiError(route, err)
		var wait time.Duration
		switch {
		case e.Status == 429 && e.RetryAfter <= b.cfg.MaxInlineWait && attempt < 3:
			wait = e.RetryAfter + 25*time.Millisecond
			b.log.Info("discord rate limit: waiting", "route", route, "retry_after", e.RetryAfter)
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

func sleep(ctx context.Context, d time.Duration) error {
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
