package schedule

import (
	"context"
	"time"

	"cohortbot/internal/study"
)

// The scheduler's database work — planning, claiming, composing, recording — goes
// through a gate of DBConcurrency places, so that while thousands of posts go out the
// members' commands always find a free connection in the store's pool.

type gate chan struct{}

func (g gate) enter(ctx context.Context) error {
	select {
	case g <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (g gate) leave() { <-g }

// gatedOutbox is an Outbox whose every call takes a place in the gate.
type gatedOutbox struct {
	next Outbox
	gate gate
}

func (o gatedOutbox) PlanDue(ctx context.Context, now time.Time, limit int, plan func(study.DueCohort) (study.Plan, error)) (int, error) {
	if err := o.gate.enter(ctx); err != nil {
		return 0, err
	}
	defer o.gate.leave()
	return o.next.PlanDue(ctx, now, limit, plan)
}

func (o gatedOutbox) ClaimPosts(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]study.Post, error) {
	if err := o.gate.enter(ctx); err != nil {
		return nil, err
	}
	defer o.gate.leave()
	return o.next.ClaimPosts(ctx, now, lease, limit)
}

func (o gatedOutbox) RenewLease(ctx context.Context, p study.Post, until time.Time) error {
	return o.do(ctx, func() error { return o.next.RenewLease(ctx, p, until) })
}

func (o gatedOutbox) RecordProgress(ctx context.Context, p study.Post, d study.Delivered) error {
	return o.do(ctx, func() error { return o.next.RecordProgress(ctx, p, d) })
}

func (o gatedOutbox) MarkSent(ctx context.Context, p study.Post, ref study.MessageRef, at time.Time) error {
	return o.do(ctx, func() error { return o.next.MarkSent(ctx, p, ref, at) })
}

func (o gatedOutbox) MarkRetry(ctx context.Context, p study.Post, notBefore time.Time, reason string) error {
	return o.do(ctx, func() error { return o.next.MarkRetry(ctx, p, notBefore, reason) })
}

func (o gatedOutbox) Defer(ctx context.Context, p study.Post, notBefore time.Time) error {
	return o.do(ctx, func() error { return o.next.Defer(ctx, p, notBefore) })
}

func (o gatedOutbox) MarkDone(ctx context.Context, p study.Post, status study.PostStatus, reason string) error {
	return o.do(ctx, func() error { return o.next.MarkDone(ctx, p, status, reason) })
}

func (o gatedOutbox) NextDue(ctx context.Context, after time.Time) (time.Time, error) {
	if err := o.gate.enter(ctx); err != nil {
		return time.Time{}, err
	}
	defer o.gate.leave()
	return o.next.NextDue(ctx, after)
}

func (o gatedOutbox) do(ctx context.Context, f func() error) error {
	if err := o.gate.enter(ctx); err != nil {
		return err
	}
	defer o.gate.leave()
	return f()
}

// gatedCore is a Core whose database work (composing, upkeep) takes a place in the gate.
// Plan runs inside PlanDue, which holds its place already.
type gatedCore struct {
	Core
	gate gate
}

func (c gatedCore) Compose(ctx context.Context, p study.Post) (study.Outgoing, string, error) {
	if err := c.gate.enter(ctx); err != nil {
		return study.Outgoing{}, "", err
	}
	defer c.gate.leave()
	return c.Core.Compose(ctx, p)
}

func (c gatedCore) Upkeep(ctx context.Context, now time.Time) (time.Time, error) {
	if err := c.gate.enter(ctx); err != nil {
		return time.Time{}, err
	}
	defer c.gate.leave()
	return c.Core.Upkeep(ctx, now)
}
